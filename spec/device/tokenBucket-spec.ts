import { expect } from 'chai';
import { TokenBucket, defaultBurst } from '../../src/device/tokenBucket.js';

describe('TokenBucket', () => {
  let t = 0;
  const clock = () => t;
  beforeEach(() => {
    t = 0;
  });

  it('lets the burst pass at once, then asks to wait for the debt', () => {
    const b = new TokenBucket(1000, 500, clock); // 1000 bytes/s = 1 byte/ms
    expect(b.take(500)).to.equal(0);
    expect(b.take(100)).to.equal(100);
    expect(b.waitMs()).to.equal(100);
    t = 100;
    expect(b.waitMs()).to.equal(0);
    expect(b.take(50)).to.equal(50);
  });

  it('refills up to the burst only', () => {
    const b = new TokenBucket(1000, 200, clock);
    b.take(200);
    t = 10_000;
    expect(b.take(200)).to.equal(0);
    expect(b.take(1)).to.equal(1);
  });

  it('keeps the long-run rate exact whatever the sizes', () => {
    const b = new TokenBucket(1e6, 0, clock);
    let sent = 0;
    for (let i = 0; i < 1000; i++) {
      const size = (i * 7919) % 5000;
      t += b.take(size);
      sent += size;
    }
    expect(t).to.be.closeTo((sent / 1e6) * 1000, 1e-6);
  });

  it('never waits at an infinite rate', () => {
    const b = new TokenBucket(Infinity, undefined, clock);
    expect(b.unlimited).to.equal(true);
    expect(b.take(1e12)).to.equal(0);
    expect(b.waitMs()).to.equal(0);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => new TokenBucket(0)).to.throw(/rate/);
    expect(() => new TokenBucket(10, -1)).to.throw(/burst/);
  });

  it('has a default burst of 10 ms of bytes, at least 64 KiB', () => {
    expect(defaultBurst(110e6)).to.equal(1.1e6);
    expect(defaultBurst(1000)).to.equal(65536);
  });
});
