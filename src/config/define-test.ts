/**
 * @module config/define-test
 * The typed entry point for TypeScript tests.
 */
import type { TestInput } from './schema.js';

/**
 * Declares a test with full type checking; takes the same object as a YAML
 * test file. `export default defineTest({ … })` in a `.ts` file run by
 * `tokenstorm run`.
 */
export function defineTest(test: TestInput): TestInput {
  return test;
}
