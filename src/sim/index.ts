/**
 * @module sim
 * Simulated dependencies: the mock OpenAI-compatible LLM server (standalone, in
 * a worker thread or as several processes), its profile and theoretical
 * capacity, and the fault-injecting proxy with its control client.
 */
export { type Capacity, type CapacityWorkload, theoreticalCapacity } from './capacity.js';
export { type MockCluster, startMockCluster } from './mock-cluster.js';
export { type MockServerStats, prometheusText } from './mock-metrics.js';
export {
  type CacheProfile,
  type EngineProfile,
  loadMockProfile,
  type MockFault,
  type MockProfile,
  type MockProfileInput,
  MockProfileSchema,
  parseMockProfile,
  type RateLimitProfile,
} from './mock-profile.js';
export { type MockServer, type MockServerOptions, startMockServer } from './mock-server.js';
export { countPromptTokens, MOCK_VOCABULARY } from './mock-text.js';
export { type MockThread, startMockInThread } from './mock-thread.js';
export {
  type FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  getProxyFaults,
  loadProxyFaults,
  type ProxyFault,
  ProxyFaultSchema,
  type ProxyFaultSet,
  type ProxyFaultSetInput,
  ProxyFaultSetSchema,
  parseProxyFaults,
  setProxyFaults,
  startFaultProxy,
} from './proxy/index.js';
