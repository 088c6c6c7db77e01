export { connectNbd, listExports } from './connectNbd.js';
export { NbdClient } from './nbdClient.js';
export type { Extent, NbdExportInfo, NbdOptions, ReadOptions, WriteOptions, ZeroOptions } from './types.js';
export { ReconnectGaveUpError } from './reconnectingConnection.js';
export type { ReconnectOptions, ReconnectStrategy } from './reconnectPolicy.js';
export type { NbdTlsOptions, TlsMode } from './tlsOptions.js';
