/**
 * @module sim/mock-cluster-worker
 * Process entry of a `startMockCluster` worker: one mock replica on the shared
 * port; `/metrics` asks the primary for the sum over all replicas.
 */
import type { ClusterMessage, ClusterWorkerConfig } from './mock-cluster.js';
import { startMockServer } from './mock-server.js';

const send = (m: ClusterMessage): void => {
  process.send?.(m);
};
const config = JSON.parse(process.env.TOKENSTORM_MOCK_WORKER ?? '{}') as ClusterWorkerConfig;
const waiting = new Map<number, (text: string) => void>();
let nextId = 0;

try {
  const server = await startMockServer({
    port: config.port,
    host: config.host,
    profile: config.profile,
    replica: config.replica,
    warmUp: true,
    metricsText: () =>
      new Promise<string>((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        send({ type: 'metrics?', id });
      }),
  });
  process.on('message', (m: ClusterMessage) => {
    if (m.type === 'stats?') send({ type: 'stats', id: m.id, stats: server.stats() });
    else if (m.type === 'metrics') {
      waiting.get(m.id)?.(m.text);
      waiting.delete(m.id);
    } else if (m.type === 'close') server.close().finally(() => process.exit(0));
  });
  // The primary going away (SIGKILL, crash) must not leave replicas behind.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'listening', url: server.url });
} catch (err) {
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
