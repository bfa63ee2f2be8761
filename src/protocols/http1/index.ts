/**
 * @module protocols/http1
 * tokenstorm's own HTTP/1.1 client for `http://` targets (`https://` goes
 * through undici); see client.ts for why.
 */
export { HttpClient } from './client.js';
export {
  HttpClientError,
  type HttpClientOptions,
  type HttpMethod,
  type HttpTransport,
  type RequestController,
  type RequestHandler,
  type RequestOptions,
} from './types.js';
