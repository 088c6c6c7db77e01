export { connect, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RECEIVE_BUFFER_BYTES, type ConnectOptions } from './connect.js';
export { socketSource, type SocketSourceOptions } from './socketSource.js';
export {
  socketSink,
  DEFAULT_LOW_WATER_MARK,
  DEFAULT_MAX_QUEUED_BATCHES,
  DEFAULT_MAX_QUEUED_BYTES,
  type SocketSinkOptions,
  type Written,
} from './socketSink.js';
export { endSocket } from './endSocket.js';
export { upgradeTls, type UpgradeTlsOptions } from './upgradeTls.js';
export { acceptTls, DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, type AcceptTlsOptions } from './acceptTls.js';
