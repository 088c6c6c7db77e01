/**
 * Entry point of the device worker thread (see startDeviceWorker): serves NBD
 * with the options in `workerData` and answers the parent's messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Subscription } from 'rxjs';
import { serveNbd, type NbdServerHandle, type ServeNbdOptions } from './serveNbd.js';

/** Parent → worker. */
export type DeviceWorkerRequest = { type: 'stats'; id: number } | { type: 'close' };
/** Worker → parent. */
export type DeviceWorkerMessage =
  | { type: 'listening'; uri: string; address: NbdServerHandle['address'] }
  | { type: 'stats'; id: number; stats: ReturnType<NbdServerHandle['stats']> }
  | { type: 'error'; message: string; code?: string }
  | { type: 'closed' };

const port = parentPort;
if (port === null) throw new Error('deviceWorkerMain must run in a worker thread');

let handle: NbdServerHandle | undefined;
const post = (message: DeviceWorkerMessage) => port.postMessage(message);

const subscription: Subscription = serveNbd(workerData as ServeNbdOptions).subscribe({
  next: (h) => {
    handle = h;
    post({ type: 'listening', uri: h.uri, address: h.address });
  },
  error: (err: Error & { code?: string }) => {
    post({ type: 'error', message: err.message, code: err.code });
    port.close();
  },
});

port.on('message', (message: DeviceWorkerRequest) => {
  if (message.type === 'stats' && handle !== undefined) {
    post({ type: 'stats', id: message.id, stats: handle.stats() });
  } else if (message.type === 'close') {
    const closing = handle?.close() ?? Promise.resolve();
    void closing.then(() => {
      subscription.unsubscribe();
      post({ type: 'closed' });
      port.close();
    });
  }
});
