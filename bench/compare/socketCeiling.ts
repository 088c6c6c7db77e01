/**
 * The ceiling: how fast two Node.js processes move bytes over 127.0.0.1 with
 * nothing else to do. A forked sender writes BYTES in 1 MiB writes (honouring
 * back-pressure); this process receives through a reusable 256 KiB buffer
 * (`onread`, as the NBD client does) and prints `{ "MBps", "seconds", "bytes" }`.
 *
 *   node --import tsx bench/compare/socketCeiling.ts [BYTES]
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const WRITE_BYTES = 1 << 20;
const RECEIVE_BUFFER_BYTES = 256 * 1024;

function sender(total: number): void {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const chunk = Buffer.alloc(WRITE_BYTES, 0x5a);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const n = Math.min(WRITE_BYTES, total - sent);
        sent += n;
        if (!socket.write(n === WRITE_BYTES ? chunk : chunk.subarray(0, n))) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end(() => server.close());
    };
    pump();
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as net.AddressInfo).port));
  process.on('disconnect', () => server.close());
}

async function receiver(total: number): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['send', String(total)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(m as number));
    child.once('exit', (code) => reject(new Error(`sender exited with ${code}`)));
  });
  let received = 0;
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({
      host: '127.0.0.1',
      port,
      onread: { buffer: Buffer.allocUnsafe(RECEIVE_BUFFER_BYTES), callback: (n) => { received += n; return true; } },
    });
    socket.on('end', () => { socket.destroy(); resolve(); });
    socket.on('error', reject);
  });
  const seconds = (performance.now() - started) / 1000;
  child.disconnect();
  if (received !== total) throw new Error(`received ${received} of ${total} bytes`);
  console.log(JSON.stringify({ MBps: total / 1e6 / seconds, seconds, bytes: total }));
}

if (process.argv[2] === 'send') sender(Number(process.argv[3]));
else await receiver(Number(process.argv[2] ?? 2 ** 31));
