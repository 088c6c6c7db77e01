import { expect } from 'chai';
import { threadId } from 'node:worker_threads';
import { startDeviceWorker } from '../../../src/nbd/server/startDeviceWorker.js';
import { RawClient, request } from './rawClient.js';

describe('startDeviceWorker', () => {
  it('serves NBD from a worker thread and closes it', async function () {
    this.timeout(15_000);
    const device = await startDeviceWorker({ exports: [{ name: '', size: 1 << 20 }] });
    try {
      expect(device.threadId).to.not.equal(threadId);
      expect(device.uri).to.match(/^nbd:\/\/127\.0\.0\.1:\d+\/$/);
      const c = await RawClient.connect((device.address as { port: number }).port);
      await c.handshake();
      c.write(request(1, 0, 1n, 0, 3, Buffer.from('abc')));
      expect((await c.readSimpleReply()).error).to.equal(0);
      c.write(request(0, 0, 2n, 0, 3));
      expect((await c.readSimpleReply(3)).data.toString()).to.equal('abc');
      const stats = await device.stats();
      expect(stats).to.include({ requests: 2, bytesWritten: 3 });
      c.destroy();
    } finally {
      await device.close();
    }
  });

  it('rejects with the worker error when the server cannot listen', async function () {
    this.timeout(15_000);
    const first = await startDeviceWorker();
    try {
      const port = (first.address as { port: number }).port;
      const err = await startDeviceWorker({ port }).catch((e) => e);
      expect(err).to.be.instanceOf(Error);
      expect(err.message).to.match(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
