/** The NBD device emulator: a server over sparse in-memory exports, shaped by a device model. */
export { serveNbd, type NbdServerAddress, type NbdServerHandle, type ServeNbdOptions } from './serveNbd.js';
export type { ServerTlsOptions } from './serveConnection.js';
export { startDeviceWorker, type DeviceWorker } from './startDeviceWorker.js';
export type { NbdExportOptions } from './exportTable.js';
export type { NbdServerStats } from './serverStats.js';
