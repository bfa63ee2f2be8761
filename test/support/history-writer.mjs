// Records runs in a run history as fast as it can (for the kill -9 test):
// each a few thousand window histograms in one transaction; prints each
// committed uid. Loads the built store (npm run build).
import { MetricHistogram } from '../../dist/metrics/histogram.js';
import { openHistory } from '../../dist/store/index.js';

const [path, prefix, windowsArg] = process.argv.slice(2);
const windows = Number(windowsArg);
const h = new MetricHistogram('ms');
for (let i = 0; i < 200; i++) h.record(10 + i * 1.7);
const encoded = h.encode();
for (let n = 0; n < 10_000; n++) {
  const uid = `${prefix}-${n}`;
  const history = openHistory(path, { waitMs: 10_000 });
  try {
    history.add({
      uid,
      test: 'kill',
      target: 'mock',
      labels: { tags: { writer: prefix } },
      startedAt: new Date().toISOString(),
      durationS: windows,
      passed: true,
      complete: true,
      summary: { name: 'kill', passed: true },
      histograms: {
        run: { ttft_ms: encoded },
        windows: Array.from({ length: windows }, (_, i) => ({
          start_s: i,
          metric: 'ttft_ms',
          histogram: encoded,
        })),
      },
    });
  } finally {
    history.close();
  }
  process.stdout.write(`committed ${uid}\n`);
}
