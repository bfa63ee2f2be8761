import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FixtureServer, startFixtureServer } from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { createRng } from '../random/index.js';
import type { Feeder } from './feeder.js';

const ROWS = 500_000;
const dir = mkdtempSync(join(tmpdir(), 'ts-feeder-scale-'));
let server: FixtureServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * ~85 MB: held in memory as parsed rows it would take well over 100 MB.
 * Written by a child process, so building it does not inflate this process's heap.
 */
function writeCsv(path: string): void {
  const script = `
    const fs = require('node:fs');
    const filler = 'how does time to first token change when the context grows and the batch is full'.repeat(2);
    const fd = fs.openSync(process.argv[1], 'w');
    fs.writeSync(fd, 'id,question,user\\n');
    for (let i = 0; i < ${ROWS}; i += 10000) {
      let chunk = '';
      for (let j = i; j < i + 10000; j++) chunk += j + ',"Question ' + j + ': ' + filler + '",user-' + (j % 997) + '\\n';
      fs.writeSync(fd, chunk);
    }
    fs.closeSync(fd);`;
  execFileSync(process.execPath, ['-e', script, path]);
}

describe('feeders at scale', () => {
  it('streams a 500,000-row CSV with bounded memory; unique never repeats a row across two workers', async () => {
    const file = join(dir, 'big.csv');
    writeCsv(file);
    const seenOnWire: number[] = [];
    server = await startFixtureServer((req, res) => {
      seenOnWire.push(Number((req.url ?? '').split('/').pop()));
      res.end('ok');
    });
    const test = {
      scenarios: [
        {
          name: 's',
          feeder: { file, strategy: 'unique' as const },
          steps: [{ http: { url: '/q/{{ row.id }}', headers: { 'x-user': '{{ row.user }}' } } }],
        },
      ],
    };
    // Collected before each reading (vitest runs with --expose-gc): RSS then shows what the feeder keeps.
    const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
    collect();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const workers = [0, 1].map((workerIndex) =>
      workloadFor(test, server?.url as string, { workerIndex, workerCount: 2 }),
    );
    // A few hundred real iterations per worker: rows go into requests.
    const records = [
      ...(await runWorkload(workers[0] as never, { iterations: 150, vus: 5 })),
      ...(await runWorkload(workers[1] as never, { iterations: 150, vus: 5, firstIteration: 150 })),
    ];
    expect(records.every((r) => r.outcome === 'ok')).toBe(true);
    const uses = new Uint8Array(ROWS);
    for (const id of seenOnWire) uses[id] = (uses[id] as number) + 1;
    // Then the rest of each worker's share, straight from its feeder.
    for (const w of workers) {
      const feeder = w.scenarios[0]?.feeder as Feeder;
      const rng = createRng(1);
      for (let n = 0; ; n++) {
        const row = await feeder.next(rng);
        if (row === undefined) break;
        const id = Number(row.id);
        uses[id] = (uses[id] as number) + 1;
        if (n % 50_000 === 0) {
          collect();
          peak = Math.max(peak, process.memoryUsage().rss);
        }
      }
      expect(feeder.exhausted).toBe(true);
    }
    collect();
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(uses.every((n) => n === 1)).toBe(true);
    const growthMb = (peak - baseline) / 1024 / 1024;
    console.log(`500k-row feeder: RSS growth ${growthMb.toFixed(1)} MB`);
    expect(growthMb).toBeLessThan(100);
  }, 120_000);
});
