import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import type { RequestRecord } from '../core/index.js';
import { Tally } from '../metrics/index.js';
import { loopHealthLevel, renderLiveFrame, renderProgressLine } from './live-frame.js';
import { LiveStats } from './live-stats.js';
import { LiveView, plainIntervalFromEnv } from './live-view.js';

function rec(over: Partial<RequestRecord>): RequestRecord {
  return recordOf({
    ttftMs: 40,
    e2eMs: 100,
    outputTokens: 10,
    ...over,
  });
}

/** What a worker reports: the counts and histograms of some records. */
function tallyOf(...records: RequestRecord[]): Tally {
  const t = new Tally();
  for (const r of records) t.add(r, r.outcome === 'ok');
  return t;
}

function filled(): LiveStats {
  const stats = new LiveStats();
  // Two workers' reports, merged into one window.
  const ok = Array.from({ length: 20 }, (_, k) => rec({ ttftMs: (k + 1) * 10, e2eMs: (k + 1) * 100 }));
  stats.add(tallyOf(...ok.slice(0, 7), rec({ outcome: 'error', error: 'rate_limited' })), {
    worker: 0,
    seconds: 2,
  });
  stats.add(tallyOf(...ok.slice(7), rec({ outcome: 'cancelled' })), { worker: 1, seconds: 2 });
  stats.dropped(3);
  stats.progress({ elapsedMs: 5000, plannedMs: 10_000, inFlight: 7, activeVus: 12, stage: 'ramp' });
  stats.rotate();
  return stats;
}

describe('LiveStats and the frames', () => {
  it('reports the last window rates and percentiles, totals and errors by kind', () => {
    const s = filled().snapshot();
    expect(s).toMatchObject({
      requests: 22,
      ok: 20,
      errors: 1,
      cancelled: 1,
      dropped: 3,
      byError: { rate_limited: 1 },
    });
    expect(s.window.requestsPerS).toBe(11);
    expect(s.window.outputTokensPerS).toBe(100);
    // HDR histograms: within 0.1% of the exact 100 and 190.
    expect(s.window.ttft.count).toBe(20);
    expect(s.window.ttft.p50).toBeCloseTo(100, 0);
    expect(s.window.ttft.p95).toBeCloseTo(190, 0);
    const frame = renderLiveFrame('demo', s, { loopDelayP99Ms: 3 }, { color: false, width: 100 });
    const lines = frame.split('\n');
    expect(lines[0]).toMatch(/demo +█+░+ 5\.0s \/ 10\.0s 50% +stage ramp/);
    expect(lines[1]).toBe('VUs 12 · in flight 7 · 11.00 req/s · 100.00 output tok/s');
    expect(lines[2]).toMatch(/^TTFT p50 100\.\d\d p95 190\.\d\d ms · E2E p50 1,00\d\.\d\d/);
    expect(lines[3]).toBe('requests 22 · ok 20 · errors 1 (rate_limited 1) · cancelled 1 · dropped 3');
    expect(lines[4]).toContain('generator ✓ ok');
    expect(renderLiveFrame('demo', s, { loopDelayP99Ms: 150 }, { color: false })).toContain('✗ overloaded');
    expect(renderLiveFrame('demo', s, { loopDelayP99Ms: 3 }, { color: true })).toContain('\u001b[');
    const line = renderProgressLine('demo', s, { loopDelayP99Ms: 30 });
    expect(line).not.toContain('\n');
    expect(line).toMatch(
      /^\[tokenstorm\] demo 5\.0s \/ 10\.0s 50% \| stage ramp \| VUs 12 \| in flight 7 \| 11\.00 req\/s/,
    );
    expect(line).toContain('generator busy (loop p99 30.00 ms)');
    expect(loopHealthLevel({ loopDelayP99Ms: 19 })).toBe('ok');
  });

  it('shows what the run spent once anything was priced', () => {
    const stats = new LiveStats();
    stats.add(tallyOf(rec({ model: 'm', costUsd: 0.0125 }), rec({ model: 'm', costUsd: 0.0005 })), {
      worker: 0,
      seconds: 1,
    });
    stats.add(tallyOf(rec({ model: 'm', costUsd: 0.001 })), { worker: 1, seconds: 1 });
    stats.rotate();
    const s = stats.snapshot();
    expect(s.costUsd).toBe(0.014);
    const frame = renderLiveFrame('demo', s, { loopDelayP99Ms: 3 }, { color: false });
    expect(frame.split('\n')[3]).toMatch(/ · cost \$0\.014$/);
    expect(renderProgressLine('demo', s, { loopDelayP99Ms: 3 })).toContain('dropped 0 cost $0.014');
    // Nothing priced: no cost shown.
    expect(filled().snapshot().costUsd).toBe(0);
  });

  it('reads the plain-line interval from TOKENSTORM_PROGRESS_INTERVAL_MS', () => {
    expect(plainIntervalFromEnv({})).toBe(10_000);
    expect(plainIntervalFromEnv({ TOKENSTORM_PROGRESS_INTERVAL_MS: '250' })).toBe(250);
    expect(plainIntervalFromEnv({ TOKENSTORM_PROGRESS_INTERVAL_MS: 'soon' })).toBe(10_000);
  });
});

class Capture extends Writable {
  text = '';
  isTTY: boolean;
  columns = 100;
  rows = 40;
  constructor(tty: boolean) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('LiveView', () => {
  it('on a terminal redraws in place: erases its own lines, never clears the screen', async () => {
    const stream = new Capture(true);
    const view = new LiveView({ name: 'demo', stream, tty: true, intervalMs: 1000 });
    await view.ready;
    view.stats.add(tallyOf(rec({})), { worker: 0, seconds: 1 });
    view.tick();
    view.log('a log line');
    view.tick();
    view.stop();
    // The first frame, and the frame drawn again under the log line; later frames rewrite only changed lines.
    expect(stream.text.match(/tokenstorm demo/g)?.length).toBeGreaterThanOrEqual(2);
    expect(stream.text).toContain('requests 1 · ok 1');
    // log-update moves the cursor up and erases lines (ESC[2K / ESC[1A); no full clear (ESC[2J).
    expect(stream.text.includes('\u001b[2K') || stream.text.includes('\u001b[1A')).toBe(true);
    expect(stream.text).not.toContain('\u001b[2J');
    expect(stream.text).toContain('a log line\n');
  });

  it('draws at 80 columns when the terminal reports 0 columns and 0 rows (as under `script`)', async () => {
    const stream = new Capture(true);
    stream.columns = 0;
    stream.rows = 0;
    const view = new LiveView({ name: 'demo', stream, tty: true, intervalMs: 1000 });
    await view.ready;
    view.stats.add(tallyOf(rec({})), { worker: 0, seconds: 1 });
    view.stats.progress({ elapsedMs: 5000, plannedMs: 10_000 });
    view.tick();
    view.stop();
    // Whole lines, not one character per line; the progress bar at its 80-column width (30 cells).
    expect(stream.text).toContain('requests 1 · ok 1');
    expect(stream.text).toMatch(/tokenstorm demo +█{15}░{15} 5\.0s/);
  });

  it('names the current stage from the stages known ahead', () => {
    const stream = new Capture(false);
    const stages = [
      { name: 'baseline', startMs: 0, endMs: 1000 },
      { name: 'spike', startMs: 1000, endMs: 2000 },
    ];
    const view = new LiveView({ name: 'demo', stream, tty: false, intervalMs: 1000, stages });
    view.stats.progress({ elapsedMs: 1500, plannedMs: 2000 });
    view.tick();
    view.stats.progress({ elapsedMs: 500, plannedMs: 2000 });
    view.tick();
    view.stop();
    const lines = stream.text.trim().split('\n');
    expect(lines[0]).toContain('| stage spike |');
    expect(lines[1]).toContain('| stage baseline |');
  });

  it('elsewhere prints one plain line per interval', () => {
    const stream = new Capture(false);
    const view = new LiveView({ name: 'demo', stream, tty: false, intervalMs: 1000 });
    view.tick();
    view.tick();
    view.stop();
    const lines = stream.text.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^\[tokenstorm\] demo /);
    expect(stream.text).not.toContain('\u001b');
  });
});
