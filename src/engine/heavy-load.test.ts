import { describe, expect, it } from 'vitest';
import { executorFor, LoadSchema } from '../load/index.js';
import { HEAVY_SHARE_PER_S, MODERATE_SHARE_PER_S, peakShare, youngGenerationMb } from './heavy-load.js';

/** The plan of a load block as a test file gives it. */
const plan = (load: unknown) => executorFor(LoadSchema.parse(load)).plan;

describe('heavy-load', () => {
  it("counts a closed model's VU as 50 requests/s and an open model's peak rate, over the workers", () => {
    const closed = plan({ executor: 'constant-vus', vus: 10, duration: '2s' });
    expect(peakShare(closed, 1)).toBe(500);
    const open = plan({ executor: 'constant-arrival-rate', rate: 3000, duration: '2s' });
    expect(peakShare(open, 2)).toBe(1500);
  });

  it('sizes the young generation in three steps: the quickstart 8 MB, moderate 16, heavy 64', () => {
    const closed = plan({ executor: 'constant-vus', vus: 10, duration: '2s' });
    expect(youngGenerationMb(peakShare(closed, 1))).toBe(8);
    expect(youngGenerationMb(MODERATE_SHARE_PER_S - 1)).toBe(8);
    expect(youngGenerationMb(MODERATE_SHARE_PER_S)).toBe(16);
    expect(youngGenerationMb(HEAVY_SHARE_PER_S - 1)).toBe(16);
    expect(youngGenerationMb(HEAVY_SHARE_PER_S)).toBe(64);
  });
});
