/**
 * @module sim/mock-cluster
 * The mock as several processes behind one port (node:cluster), so one Node
 * event loop does not cap it in benchmarks (one core runs late above ~80k
 * chunks/s). Each worker is a replica with its own slots, KV cache, rate
 * limits and fault draws, like data-parallel vLLM replicas behind a balancer;
 * `/metrics` from any worker reports the sum over all of them.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { type MockServerStats, prometheusText, sumStats } from './mock-metrics.js';
import { type MockProfile, type MockProfileInput, parseMockProfile } from './mock-profile.js';

/** Messages between the primary and its workers. */
export type ClusterMessage =
  | { type: 'listening'; url: string }
  | { type: 'failed'; message: string }
  | { type: 'metrics?'; id: number }
  | { type: 'metrics'; id: number; text: string }
  | { type: 'stats?'; id: number }
  | { type: 'stats'; id: number; stats: MockServerStats }
  | { type: 'close' };

/** What a worker reads from its environment. */
export interface ClusterWorkerConfig {
  port: number;
  host: string;
  profile: MockProfile;
  replica: number;
}

export const WORKER_CONFIG_ENV = 'TOKENSTORM_MOCK_WORKER';

export interface MockCluster {
  readonly url: string;
  readonly workers: number;
  /** Counters summed over the workers. */
  stats(): Promise<MockServerStats>;
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 2000;

/**
 * Forks `workers` processes running the compiled `mock-cluster-worker.js`
 * (so it runs from `dist/`), all listening on one port.
 * @throws ConfigError when the profile is invalid (checked before forking).
 */
export async function startMockCluster(options: {
  workers: number;
  port?: number;
  host?: string;
  profile?: MockProfileInput;
}): Promise<MockCluster> {
  const profile = parseMockProfile(options.profile);
  const host = options.host ?? '127.0.0.1';
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./mock-cluster-worker.js', import.meta.url)),
    silent: false,
  });
  const workers: Worker[] = [];
  let nextId = 0;
  const pendingStats = new Map<number, { got: MockServerStats[]; done: (s: MockServerStats) => void }>();

  const collect = (): Promise<MockServerStats> =>
    new Promise((resolve) => {
      const id = nextId++;
      pendingStats.set(id, { got: [], done: resolve });
      for (const w of workers) w.send({ type: 'stats?', id } satisfies ClusterMessage);
    });

  const onMessage = (worker: Worker, message: ClusterMessage): void => {
    if (message.type === 'stats') {
      const pending = pendingStats.get(message.id);
      if (pending === undefined) return;
      pending.got.push(message.stats);
      if (pending.got.length === workers.length) {
        pendingStats.delete(message.id);
        pending.done(sumStats(pending.got));
      }
    } else if (message.type === 'metrics?') {
      collect().then((sum) =>
        worker.send({
          type: 'metrics',
          id: message.id,
          text: prometheusText(sum, profile.models[0] as string),
        } satisfies ClusterMessage),
      );
    }
  };

  // Every worker asks for the same port: for port 0, cluster hands them all the same free one.
  const port = options.port ?? 0;
  let url = '';
  for (let replica = 0; replica < options.workers; replica++) {
    const config: ClusterWorkerConfig = { port, host, profile, replica };
    const worker = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(config) });
    workers.push(worker);
    worker.on('message', (m: ClusterMessage) => onMessage(worker, m));
    url = await new Promise<string>((resolve, reject) => {
      worker.once('message', (m: ClusterMessage) => {
        if (m.type === 'listening') resolve(m.url);
        else if (m.type === 'failed') reject(new Error(m.message));
      });
      worker.once('exit', (code) => reject(new Error(`mock worker exited with code ${code}`)));
    }).catch(async (err: unknown) => {
      for (const w of workers) w.kill();
      throw err;
    });
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    workers: workers.length,
    stats: collect,
    close: () => {
      closing ??= Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              const timer = setTimeout(() => w.kill('SIGKILL'), CLOSE_GRACE_MS);
              w.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              w.send({ type: 'close' } satisfies ClusterMessage);
            }),
        ),
      ).then(() => {});
      return closing;
    },
  };
}
