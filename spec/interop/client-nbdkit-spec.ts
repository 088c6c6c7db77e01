import { clientConformance } from '../helpers/clientConformance.js';
import { startNbdkit } from '../helpers/peers.js';

const GiB = 1024 * 1024 * 1024;

clientConformance('nbdkit memory', () => startNbdkit(['memory', '1G']), { size: GiB, sparse: true });

// Random delays per request make nbdkit answer out of order (it needs threads >= depth).
clientConformance(
  'nbdkit memory with the delay filter (replies out of order)',
  () => startNbdkit(['memory', '1G', 'rdelay=0.2ms', 'wdelay=0.3ms'], { filters: ['delay'], threads: 64 }),
  { size: GiB, sparse: true, writes: 3000, outOfOrder: true },
);

clientConformance(
  'nbdkit without structured replies (simple replies only)',
  () => startNbdkit(['memory', '1G'], { extra: ['--no-sr'] }),
  { size: GiB, structured: false },
);
