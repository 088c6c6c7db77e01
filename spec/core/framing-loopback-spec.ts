import { expect } from 'chai';
import net from 'node:net';
import { Subscription } from 'rxjs';
import { connect } from '../../streams/connect.js';
import { socketSource } from '../../streams/socketSource.js';
import { frame } from '../../operators/frame.js';
import { ToyDecoder, encodeToyFrame } from '../helpers/toyCodec.js';
import { mulberry32 } from '../helpers/toyEngine.js';

/**
 * A peer writes 1 GiB of frames in odd-sized chunks; the socket source and
 * frame() over a real loopback socket must see every frame whole and in order.
 */
describe('framing 1 GiB from a real socket', function () {
  this.timeout(120_000);

  it('frames a 1 GiB stream written in odd-sized chunks', async () => {
    const random = mulberry32(3);
    // One block of whole frames (sizes from header-only to 200 KiB, so some are sliced), repeated.
    const frames: Buffer[] = [];
    let tag = 0;
    let blockBytes = 0;
    while (blockBytes < 4 * 1024 * 1024) {
      const size = random() < 0.1 ? Math.floor(random() * 200 * 1024) : Math.floor(random() * 600);
      const payload = Buffer.alloc(size, tag & 0xff);
      const f = encodeToyFrame(tag++, true, payload);
      frames.push(f);
      blockBytes += f.length;
    }
    const block = Buffer.concat(frames);
    const framesPerBlock = tag;
    const repeats = Math.ceil((1024 * 1024 * 1024) / block.length);

    const server = net.createServer((socket) => {
      // Odd-sized writes, with back-pressure honoured.
      let rep = 0;
      let at = 0;
      const pump = () => {
        while (rep < repeats) {
          const n = Math.min(1 + Math.floor(random() * 99_991), block.length - at);
          const more = socket.write(block.subarray(at, at + n));
          at += n;
          if (at === block.length) {
            at = 0;
            rep++;
          }
          if (!more) return socket.once('drain', pump);
        }
        socket.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;

    let count = 0;
    let bad = 0;
    let bytes = 0;
    const lease = new Subscription();
    try {
      await new Promise<void>((resolve, reject) => {
        lease.add(connect({ host: '127.0.0.1', port }).subscribe({
          next: (socket) => {
            lease.add(socketSource(socket).pipe(frame(new ToyDecoder(1024 * 1024))).subscribe({
              next: (part) => {
                const expectedTag = count % framesPerBlock;
                if (part.header.tag !== expectedTag) bad++;
                const p = part.payload;
                if (p.length > 0 && (p[0] !== (expectedTag & 0xff) || p[p.length - 1] !== (expectedTag & 0xff))) bad++;
                bytes += p.length;
                if (part.last) count++;
              },
              error: reject,
              complete: () => resolve(),
            }));
          },
          error: reject,
        }));
      });
    } finally {
      lease.unsubscribe();
      await new Promise((r) => server.close(r));
    }
    expect(bad).to.equal(0);
    expect(count).to.equal(framesPerBlock * repeats);
    expect(count * 10 + bytes).to.equal(block.length * repeats);
    expect(block.length * repeats).to.be.at.least(1024 * 1024 * 1024);
  });
});
