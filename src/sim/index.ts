/**
 * @module sim
 * Simulated dependencies: the mock OpenAI-compatible LLM server, standalone or
 * in a worker thread, and its profile.
 */
export {
  loadMockProfile,
  type MockProfile,
  type MockProfileInput,
  MockProfileSchema,
  parseMockProfile,
} from './mock-profile.js';
export {
  type MockServer,
  type MockServerOptions,
  type MockServerStats,
  startMockServer,
} from './mock-server.js';
export { countPromptTokens, MOCK_VOCABULARY } from './mock-text.js';
export { type MockThread, startMockInThread } from './mock-thread.js';
