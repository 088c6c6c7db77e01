/** Connects one of the three classic architectures by name. */
import { connectFifo } from './fifo.js';
import { connectLockstep } from './lockstep.js';
import { connectSendQueue } from './sendqueue.js';
import type { ClassicArch, ClassicClientOptions, LabClient } from './types.js';

export const CLASSIC_ARCHS: readonly ClassicArch[] = ['lockstep', 'sendqueue', 'fifo'];

/**
 * @param arch 'lockstep', 'sendqueue' or 'fifo'.
 * @param uri The NBD server, e.g. `nbd://127.0.0.1:10809/`.
 * @return A connected client in transmission phase (simple replies).
 */
export function connectClassic(arch: ClassicArch, uri: string, options?: ClassicClientOptions): Promise<LabClient> {
  switch (arch) {
    case 'lockstep':
      return connectLockstep(uri, options);
    case 'sendqueue':
      return connectSendQueue(uri, options);
    case 'fifo':
      return connectFifo(uri, options);
  }
}
