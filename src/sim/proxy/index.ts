/**
 * @module sim/proxy
 * The fault-injecting HTTP/SSE proxy, its fault-set schema and its control client.
 */
export { CONTROL_PATH, getProxyFaults, setProxyFaults } from './proxy-control.js';
export {
  loadProxyFaults,
  PROXY_FAULT_KINDS,
  type ProxyFault,
  ProxyFaultSchema,
  type ProxyFaultSet,
  type ProxyFaultSetInput,
  ProxyFaultSetSchema,
  parseProxyFaults,
} from './proxy-faults.js';
export {
  type FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  startFaultProxy,
} from './proxy-server.js';
