/**
 * The other half of the examples/ runs (see examples.test.ts): a file of its
 * own so that vitest runs it beside the first half, not after it.
 */
import { describe } from 'vitest';
import { itRunsExamples } from '../support/examples.js';

describe('examples (second half)', () => {
  itRunsExamples(1, 2);
});
