/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The HTML report in real headless Chromium (Debian's `chromium`, driven by
 * playwright-core; never a downloaded browser): a report from a real run
 * against the embedded mock, and the same run with stages, events, a sweep
 * and telemetry added, must open offline without errors, draw every chart and
 * show the numbers of summary.json. Screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../support/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const haveBrowser = existsSync(CHROMIUM);
// In CI the browser test must run (a missing browser fails it); on a laptop without one it is skipped.
const skip = !haveBrowser && !process.env.CI;
if (skip) console.warn(`report-browser: skipped, ${CHROMIUM} is missing (apt-get install -y chromium)`);

type Json = Record<string, unknown>;

/** `data-metric` paths: a metric name starts a path into `metrics`, anything else is a path from the top. */
function lookup(summary: Json, path: string): unknown {
  const parts = path.split('.');
  const metrics = summary.metrics as Json;
  let node: unknown = parts[0] !== undefined && parts[0] in metrics && parts.length === 2 ? metrics : summary;
  for (const part of parts) node = (node as Json | undefined)?.[part];
  return node;
}

interface Opened {
  consoleErrors: string[];
  requests: string[];
}

/** Opens a report file with every request other than the file itself counted and refused. */
async function open(page: Page, file: string): Promise<Opened> {
  const url = pathToFileURL(file).href;
  const opened: Opened = { consoleErrors: [], requests: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') opened.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => opened.consoleErrors.push(String(err)));
  await page.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    opened.requests.push(route.request().url());
    return route.abort();
  });
  await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
  await page.waitForSelector('body[data-charts-ready]', { timeout: 10_000 });
  return opened;
}

interface ChartCheck {
  id: string;
  kind: string;
  canvases: number;
  /** Pixels close to any of the chart's series colours. */
  seriesPixels: number;
  stages: string | null;
  events: string | null;
}

/** Reads every chart's canvas back and counts pixels in its series colours. */
function checkCharts(page: Page): Promise<ChartCheck[]> {
  return page.evaluate(() => {
    const data = JSON.parse(document.getElementById('report-data')?.textContent ?? '{}') as {
      charts: { id: string; series: { color: string }[] }[];
    };
    const rgb = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
    return [...document.querySelectorAll<HTMLElement>('[data-chart]')].map((el) => {
      const id = el.dataset.chart ?? '';
      const colors = (data.charts.find((c) => c.id === id)?.series ?? []).map((s) => rgb(s.color));
      const canvases = [...el.querySelectorAll('canvas')];
      let seriesPixels = 0;
      for (const canvas of canvases) {
        const ctx = canvas.getContext('2d');
        if (ctx === null || canvas.width === 0) continue;
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < px.length; i += 4) {
          if ((px[i + 3] ?? 0) < 200) continue;
          const r = px[i] ?? 0;
          const g = px[i + 1] ?? 0;
          const b = px[i + 2] ?? 0;
          if (
            colors.some(
              ([cr = 0, cg = 0, cb = 0]) => Math.abs(r - cr) + Math.abs(g - cg) + Math.abs(b - cb) < 40,
            )
          ) {
            seriesPixels++;
          }
        }
      }
      return {
        id,
        kind: el.dataset.kind ?? '',
        canvases: canvases.length,
        seriesPixels,
        stages: el.getAttribute('data-stages-drawn'),
        events: el.getAttribute('data-events-drawn'),
      };
    });
  });
}

/** Pixels of one chart drawn in each of its series' colours, by series label. */
function pixelsBySeries(page: Page, chartId: string): Promise<Record<string, number>> {
  return page.evaluate((id) => {
    const data = JSON.parse(document.getElementById('report-data')?.textContent ?? '{}') as {
      charts: { id: string; series: { label: string; color: string }[] }[];
    };
    const rgb = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
    const series = data.charts.find((c) => c.id === id)?.series ?? [];
    const out: Record<string, number> = Object.fromEntries(series.map((s) => [s.label, 0]));
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>(`[data-chart="${id}"] canvas`)) {
      const ctx = canvas.getContext('2d');
      if (ctx === null || canvas.width === 0) continue;
      const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < px.length; i += 4) {
        if ((px[i + 3] ?? 0) < 200) continue;
        for (const s of series) {
          const [r = 0, g = 0, b = 0] = rgb(s.color);
          const d =
            Math.abs((px[i] ?? 0) - r) + Math.abs((px[i + 1] ?? 0) - g) + Math.abs((px[i + 2] ?? 0) - b);
          if (d < 40) out[s.label] = (out[s.label] ?? 0) + 1;
        }
      }
    }
    return out;
  }, chartId);
}

/** Every `data-metric` element: its path, raw value and shown text. */
function readNumbers(page: Page): Promise<{ metric: string; value: string; text: string }[]> {
  return page.$$eval('[data-metric]', (els) =>
    els.map((el) => ({
      metric: el.getAttribute('data-metric') ?? '',
      value: el.getAttribute('data-value') ?? '',
      text: el.textContent ?? '',
    })),
  );
}

function expectNumbersMatch(numbers: { metric: string; value: string; text: string }[], summary: Json): void {
  for (const n of numbers) {
    const expected = lookup(summary, n.metric);
    if (n.metric === 'passed') {
      expect(n.value, n.metric).toBe(String(expected));
      continue;
    }
    if (expected === null) {
      expect(n.value, n.metric).toBe('');
      continue;
    }
    expect(typeof expected, `${n.metric} in summary.json`).toBe('number');
    expect(Number(n.value), n.metric).toBe(expected);
    // The text a person reads shows the same number (to its 2 decimals, or as a percentage).
    const shown = Number(
      n.text
        .replace(/,/g, '')
        .replace(/^\$/, '')
        .replace(/ ?(ms|s|%|req\/s)$/, ''),
    );
    const want = n.text.endsWith('%') ? (expected as number) * 100 : (expected as number);
    expect(Math.abs(shown - want), `${n.metric}: "${n.text}" vs ${want}`).toBeLessThan(
      Math.max(0.0051, Math.abs(want) * 0.001),
    );
  }
}

describe.skipIf(skip)('report.html in headless Chromium', () => {
  let browser: Browser;
  let out: string;
  let summary: Json;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const dir = tempDir();
    const test = join(dir, 'report.yaml');
    // Two scenarios, an error kind and a failing threshold, so every part of the page has data.
    writeFileSync(
      test,
      `name: report-browser
mock: { ttft_ms: { dist: uniform, min: 20, max: 80 }, itl_ms: 4, output_tokens: 24 }
scenarios:
  - name: chat
    weight: 3
    steps:
      - chat: { model: mock-model, max_tokens: 24, messages: [{ role: user, content: hi }] }
  - name: missing
    weight: 1
    steps:
      - http: { method: GET, url: /nope, expect_status: 200 }
load: { executor: constant-arrival-rate, rate: 30, duration: 3s }
thresholds:
  ttft_ms: ["p99 < 2000", "p50 < 1"]
  error_rate: [{ threshold: "< 0.01", blocking: false }]
`,
    );
    out = join(dir, 'run');
    const run = await runCli(['run', test, '--out', out, '--quiet']);
    expect(run.code, run.stderr).toBe(99);
    summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Json;
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('opens offline with no console error, draws every chart and shows summary.json numbers', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const opened = await open(page, join(out, 'report.html'));
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.requests).toEqual([]);
    const charts = await checkCharts(page);
    expect(charts.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'rate',
        'ttft',
        'itl',
        'e2e',
        'tokens',
        'errors',
        'lag',
        'cdf-ttft_ms',
        'cdf-e2e_ms',
      ]),
    );
    for (const c of charts) {
      expect(c.canvases, c.id).toBeGreaterThan(0);
      expect(c.seriesPixels, `${c.id} has drawn series`).toBeGreaterThan(20);
    }
    const numbers = await readNumbers(page);
    const metrics = numbers.map((n) => n.metric);
    expect(metrics).toEqual(
      expect.arrayContaining([
        'passed',
        'counts.requests',
        'counts.errors',
        'counts.cancelled',
        'counts.dropped',
        'rates.requests_per_s',
        'rates.output_tokens_per_s',
        'rates.goodput_per_s',
        'ttft_ms.p50',
        'ttft_ms.p99',
        'itl_ms.p95',
        'tpot_ms.p95',
        'e2e_ms.p99',
        'thresholds.1.value',
        'counts.byError.check_failed',
        'scenarios.missing.counts.errors',
        'slowest.0.duration_ms',
      ]),
    );
    expectNumbersMatch(numbers, summary);
    // Every chart that compares series tells them apart: no two share both colour and dash.
    const drawn = await page.$$eval('[data-chart][data-series]', (els) =>
      els.map((el) => ({
        id: el.getAttribute('data-chart') ?? '',
        series: JSON.parse(el.getAttribute('data-series') ?? '[]') as [string, string, number][],
      })),
    );
    expect(drawn.length).toBe(charts.length);
    for (const c of drawn) {
      const looks = c.series.map(([, color, dash]) => `${color}/${dash}`);
      expect(new Set(looks).size, `${c.id}: ${JSON.stringify(c.series)}`).toBe(looks.length);
    }
    const rateColors = drawn.find((c) => c.id === 'rate')?.series.map(([, color]) => color) ?? [];
    expect(new Set(rateColors).size).toBe(rateColors.length);
    // The VUs chart draws the VUs the workers measured (windows' active_vus), not a plan.
    const windows = summary.windows as { active_vus?: number }[];
    expect(windows.filter((w) => (w.active_vus ?? 0) > 0).length).toBeGreaterThanOrEqual(2);
    const chartData = JSON.parse((await page.textContent('#report-data')) ?? '{}') as {
      charts: { id: string; series: { label: string; values: (number | null)[] }[] }[];
    };
    const vus = chartData.charts
      .find((c) => c.id === 'vus')
      ?.series.find((x) => x.label === 'active VUs (measured)');
    expect(vus?.values).toEqual(windows.map((w) => w.active_vus ?? null));
    // A model step and a plain HTTP step get their own key numbers; the generator's health is shown.
    expect(
      await page.$$eval('[data-step-kind]', (els) => els.map((e) => e.getAttribute('data-step-kind'))),
    ).toEqual(['model step', 'HTTP step']);
    const stepCards = await page.$$eval('h3[data-step-kind] + .cards [data-metric]', (els) =>
      els.map((e) => e.getAttribute('data-metric') ?? ''),
    );
    expect(stepCards.filter((m) => /^steps\..+\.metrics\.ttft_ms\.p50$/.test(m))).toHaveLength(1);
    expect(stepCards.filter((m) => /^steps\..+\.metrics\.e2e_ms\.p95$/.test(m))).toHaveLength(2);
    expect(metrics).toContain('generator.workers');
    expect(await page.textContent('.verdict')).toBe('FAILED');
    expect(await page.$$('[data-threshold]')).toHaveLength(3);
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
  });

  it('draws offered, sent and throughput apart when a saturated server completes less than it is offered', {
    timeout: 90_000,
  }, async () => {
    const dir = tempDir();
    const test = join(dir, 'saturated.yaml');
    // 2 slots × 10 tokens × 10 ms: the mock completes 20 requests/s; it is offered 40/s for 3 s.
    writeFileSync(
      test,
      `name: report-saturated
mock:
  output_tokens: 10
  engine: { slots: 2, step_ms: 10, step_ms_per_running: 0, prefill_ms: 0, prefill_ms_per_token: 0, max_waiting: 1000 }
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 10, messages: [{ role: user, content: hi }] }
load: { executor: constant-arrival-rate, rate: 40, duration: 3s, max_vus: 300, graceful_stop: 30s }
`,
    );
    const run = join(dir, 'run');
    const result = await runCli(['run', test, '--out', run, '--quiet']);
    expect(result.code, result.stderr).toBe(0);
    type Flow = Record<
      'offered_per_s' | 'sent_per_s' | 'completed_per_s' | 'ok_per_s' | 'goodput_per_s',
      number
    >;
    const live = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as {
      counts: Record<string, number>;
      logical: { requests: number };
      windows: { start_s: number; flow: Flow }[];
    };
    const flows = live.windows.map((w) => w.flow);
    const sum = (k: keyof Flow, from = 0, to = flows.length) =>
      flows.slice(from, to).reduce((n, f) => n + f[k], 0);
    expect(live.counts).toMatchObject({ requests: 120, ok: 120, dropped: 0 });
    expect(sum('offered_per_s')).toBe(live.logical.requests + (live.counts.dropped ?? 0));
    expect(sum('sent_per_s')).toBe(120);
    expect(sum('completed_per_s')).toBe(120);
    // While the load is on, the server falls behind: offered (and sent) run well ahead of completed.
    console.log(
      `saturated windows: offered ${flows.map((f) => f.offered_per_s)}, sent ${flows.map((f) => f.sent_per_s)}, completed ${flows.map((f) => f.completed_per_s)}`,
    );
    expect(sum('offered_per_s', 0, 3)).toBeGreaterThanOrEqual(1.5 * sum('completed_per_s', 0, 3));
    expect(sum('sent_per_s', 0, 3)).toBeGreaterThanOrEqual(1.5 * sum('completed_per_s', 0, 3));
    expect(flows.length).toBeGreaterThanOrEqual(5);
    // `tokenstorm report` rebuilds the same windows from records.jsonl.
    const rebuilt = await runCli(['report', run, '--quiet']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'))).toEqual(live);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const opened = await open(page, join(run, 'report.html'));
    expect(opened.consoleErrors).toEqual([]);
    const data = JSON.parse((await page.textContent('#report-data')) ?? '{}') as {
      charts: { id: string; series: { label: string; values: (number | null)[] }[] }[];
    };
    const rate = data.charts.find((c) => c.id === 'rate');
    const values = new Map(rate?.series.map((s) => [s.label, s.values]));
    expect(values.get('offered (scheduled)')).toEqual(flows.map((f) => f.offered_per_s));
    expect(values.get('sent')).toEqual(flows.map((f) => f.sent_per_s));
    expect(values.get('throughput (completed)')).toEqual(flows.map((f) => f.completed_per_s));
    // Each of the three is drawn and visible on the canvas in its own colour.
    const pixels = await pixelsBySeries(page, 'rate');
    for (const label of ['offered (scheduled)', 'sent', 'throughput (completed)']) {
      expect(pixels[label], `${label}: ${JSON.stringify(pixels)}`).toBeGreaterThan(20);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'report-saturated.png'), fullPage: true });
  });

  it('draws stage bands and event lines on every time chart, the sweep curve and telemetry', async () => {
    const { renderHtmlReport } = (await import(pathToFileURL(join(ROOT, 'dist/report/index.js')).href)) as {
      renderHtmlReport: (s: unknown) => string;
    };
    const end = summary.durationS as number;
    const augmented = {
      ...summary,
      stages: [
        { name: 'warm-up', start: 0, end: end / 2 },
        { name: 'peak', start: end / 2, end },
      ],
      events: [{ at: end * 0.7, label: 'fault: latency spike', for_s: 0.5 }],
      sweep: {
        points: [5, 10, 20, 40, 80].map((offered) => ({
          offered,
          offered_per_s: offered,
          sent_per_s: offered,
          throughput_per_s: Math.min(offered, 42),
          ok_per_s: Math.min(offered, 42),
          goodput_per_s: Math.min(offered, 38),
          ttft_ms: { p50: 40 + offered, p95: 60 + offered ** 1.5, p99: 80 + offered ** 1.7 },
        })),
        knee: 20,
        capacity: 40,
        saturationThroughput: 42,
      },
      telemetry: [
        { name: 'vllm:num_requests_waiting', points: [0, 1, 2, 3].map((t) => [t, t * 2]) },
        { name: 'vllm:gpu_cache_usage_perc', unit: '%', points: [0, 1, 2, 3].map((t) => [t, 20 + t * 10]) },
        { name: 'kv cache use', unit: 'fraction', points: [0, 1, 2, 3].map((t) => [t, 0.05 + t * 0.1]) },
      ],
    };
    const file = join(tempDir(), 'report.html');
    writeFileSync(file, renderHtmlReport(augmented));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const opened = await open(page, file);
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.requests).toEqual([]);
    const charts = await checkCharts(page);
    const time = charts.filter((c) => c.kind === 'time');
    expect(time.length).toBeGreaterThanOrEqual(9);
    for (const c of time) {
      expect([c.id, c.stages, c.events]).toEqual([c.id, '2', '1']);
    }
    expect(charts.find((c) => c.id === 'sweep')).toMatchObject({ kind: 'sweep' });
    for (const c of charts) expect(c.seriesPixels, `${c.id} has drawn series`).toBeGreaterThan(20);
    expectNumbersMatch(await readNumbers(page), augmented);
    expect(await page.textContent('[data-metric="sweep.capacity"]')).toBe('40 req/s');
    expect(await page.textContent('[data-metric="sweep.saturationThroughput"]')).toBe('42 req/s');
    // Drawn against completed throughput (at most 42/s), not offered load (up to 80/s).
    const xRange = (await page.getAttribute('[data-chart="sweep"]', 'data-x-range'))?.split(',').map(Number);
    expect(xRange?.[1]).toBeGreaterThanOrEqual(42);
    expect(xRange?.[1]).toBeLessThan(60);
    expect(await page.textContent('figure:has([data-chart="sweep"]) figcaption')).toBe(
      'Sweep: latency against completed throughput',
    );
    // The sweep's curve comes first, with its knee and capacity marked.
    expect(await page.getAttribute('[data-chart="sweep"]', 'data-vlines')).toMatch(/knee 20.*capacity 40/);
    const order = await page.$$eval('h2', (hs) => hs.map((h) => h.textContent));
    expect(order.indexOf('Capacity sweep')).toBeLessThan(order.indexOf('Key numbers'));
    // A fraction's axis reads 0.1, 0.2, …, not "0" at every tick.
    const fraction = charts.find((c) => c.id === 'telemetry-2')?.id ?? '';
    const yTicks = ((await page.getAttribute(`[data-chart="${fraction}"]`, 'data-y-ticks')) ?? '').split('|');
    expect(new Set(yTicks.filter((t) => t !== '')).size, yTicks.join('|')).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(ARTIFACTS, 'report-stages.png'), fullPage: true });

    // Thirty stages in a few seconds: narrow bands get their number, not a name running into the next.
    const narrow = join(tempDir(), 'narrow.html');
    const stages = Array.from({ length: 30 }, (_, i) => ({
      name: `sweep ${i + 1} (coarse) ${5 * (i + 1)}/s warm-up`,
      start: (i * end) / 30,
      end: ((i + 1) * end) / 30,
    }));
    writeFileSync(narrow, renderHtmlReport({ ...summary, stages }));
    const page2 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    expect((await open(page2, narrow)).consoleErrors).toEqual([]);
    // The last stages end with the run, past its last window's start (where the data ends): the
    // chart reaches the run's end, so they are drawn however long the run's tail took.
    expect(await page2.getAttribute('[data-chart="rate"]', 'data-stages-drawn')).toBe('30');
    const rateRange = (await page2.getAttribute('[data-chart="rate"]', 'data-x-range'))
      ?.split(',')
      .map(Number);
    expect(rateRange?.[1]).toBeCloseTo(end, 6);
    expect(await page2.getAttribute('[data-chart="rate"]', 'data-stage-names-drawn')).toBe('0');
  });
});
