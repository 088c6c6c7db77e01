/** The device emulator in-process on 127.0.0.1:0, and a promise around a callback call, for the lab specs. */
import type { Subscription } from 'rxjs';
import { serveNbd, type NbdServerHandle, type ServeNbdOptions } from '../../../src/nbd/server/serveNbd.js';

export async function startDevice(options: ServeNbdOptions = {}): Promise<{ handle: NbdServerHandle; stop(): Promise<void> }> {
  let subscription: Subscription | undefined;
  const handle = await new Promise<NbdServerHandle>((resolve, reject) => {
    subscription = serveNbd({ exports: [{ name: '', size: 64 << 20 }], ...options }).subscribe({ next: resolve, error: reject });
  });
  return {
    handle,
    stop: async () => {
      await handle.close();
      subscription?.unsubscribe();
    },
  };
}

export function call<T>(start: (done: (err: Error | null, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));
}

