import { clientConformance } from '../../helpers/clientConformance.js';
import { startServer } from '../server/rawClient.js';

const GiB = 1024 * 1024 * 1024;

const emulator = (options: Parameters<typeof startServer>[0] = {}) => async () => {
  const server = await startServer({ exports: [{ name: '', size: GiB }], ...options });
  return { uri: server.uri, stop: () => server.close() };
};

clientConformance('the device emulator', emulator(), { size: GiB, sparse: true });

// Service times drawn at random make operations finish, and replies leave, out of order.
clientConformance(
  'the device emulator with random service times (replies out of order)',
  emulator({ model: { base: 'unlimited', serviceTimeMs: { distribution: 'exponential', meanMs: 0.3, maxMs: 3 }, parallel: 64, seed: 7 } }),
  { size: GiB, sparse: true, writes: 3000, outOfOrder: true },
);

clientConformance(
  'a server that refuses structured replies (simple replies only)',
  emulator({ structuredReplies: false }),
  { size: GiB, structured: false },
);
