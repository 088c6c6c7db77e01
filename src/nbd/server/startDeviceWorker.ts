import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RxbridgeError } from '../../core/errors.js';
import type { DeviceWorkerMessage, DeviceWorkerRequest } from './deviceWorkerMain.js';
import type { NbdServerAddress, ServeNbdOptions } from './serveNbd.js';
import type { NbdServerStats } from './serverStats.js';

/** A device emulator running in its own worker thread. */
export interface DeviceWorker {
  readonly uri: string;
  readonly address: NbdServerAddress;
  /** The worker's thread id. */
  readonly threadId: number;
  stats(): Promise<NbdServerStats>;
  /** Closes the server (dropping its connections) and ends the worker. */
  close(): Promise<void>;
}

/**
 * Built, the worker runs the .js entry next to this file. From source (under
 * tsx) it runs a small bootstrap that registers tsx's hooks in the worker
 * thread, then imports the .ts entry: on Node 20 neither `--import tsx` in a
 * worker's execArgv nor the parent's hooks reach a worker.
 */
function createWorker(options: ServeNbdOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./deviceWorkerMain.js', import.meta.url), { workerData: options });
  }
  // The ESM build of tsx/esm/api (its CommonJS build cannot be imported); createRequire
  // rather than import.meta.resolve because specs run this file compiled to CommonJS.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL('./deviceWorkerMain.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: options });
}

/**
 * Starts `serveNbd(options)` in a worker thread, so the device has an event
 * loop of its own: a client in this thread (a benchmark, the lab) does not
 * share its loop with the device it measures.
 *
 * @param options As for serveNbd; they are copied to the worker (structured clone).
 * @return Resolves once the worker listens; rejects with the worker's error (e.g. the port is taken).
 */
export function startDeviceWorker(options: ServeNbdOptions = {}): Promise<DeviceWorker> {
  const worker = createWorker(options);
  const statsWaiters = new Map<number, (stats: NbdServerStats) => void>();
  let nextId = 0;
  let closed: Promise<void> | undefined;

  return new Promise<DeviceWorker>((resolve, reject) => {
    let started = false;
    const fail = (err: Error) => {
      if (!started) reject(err);
      void worker.terminate();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!started) reject(new RxbridgeError('RXB_INTERNAL', `device worker exited with code ${code} before listening`));
    });
    worker.on('message', (message: DeviceWorkerMessage) => {
      switch (message.type) {
        case 'listening':
          started = true;
          resolve({
            uri: message.uri,
            address: message.address,
            threadId: worker.threadId,
            stats: () =>
              new Promise<NbdServerStats>((done) => {
                const id = nextId++;
                statsWaiters.set(id, done);
                worker.postMessage({ type: 'stats', id } satisfies DeviceWorkerRequest);
              }),
            close: () =>
              (closed ??= new Promise<void>((done) => {
                worker.once('exit', () => done());
                worker.postMessage({ type: 'close' } satisfies DeviceWorkerRequest);
              })),
          });
          break;
        case 'stats':
          statsWaiters.get(message.id)?.(message.stats);
          statsWaiters.delete(message.id);
          break;
        case 'error':
          fail(new RxbridgeError(message.code ?? 'RXB_INTERNAL', message.message));
          break;
        case 'closed':
          break;
      }
    });
  });
}
