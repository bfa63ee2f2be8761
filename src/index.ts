/**
 * @module tokenstorm
 * What test files import: `defineTest` and the types of a test.
 */
export { defineTest, type Test, type TestInput } from './config/index.js';
