import { describe, expect, it } from 'vitest';
import type { Summary } from '../report/index.js';
import { addActiveVus } from './run-outputs.js';

const windows = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ start_s: i })) as unknown as Summary['windows'];

describe('addActiveVus', () => {
  it('gives each window the most VUs reported for the second before each sample', () => {
    const summary = { windows: windows(4) } as unknown as Summary;
    // A sample at ~1 s covers window 0; two workers' samples in one window: the larger sum is kept.
    addActiveVus(
      summary,
      [
        [1.01, 3],
        [2.02, 5],
        [2.4, 7],
        [3.9, 2],
      ],
      1,
    );
    expect(summary.windows.map((w) => w.active_vus)).toEqual([3, 7, undefined, 2]);
  });

  it('leaves windows alone without samples', () => {
    const summary = { windows: windows(2) } as unknown as Summary;
    addActiveVus(summary, [], 1);
    addActiveVus(summary, undefined, 1);
    expect(summary.windows.map((w) => 'active_vus' in w)).toEqual([false, false]);
  });
});
