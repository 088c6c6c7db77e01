import { expect } from 'chai';
import { validateRequest, type RequestLimits } from '../../../src/nbd/server/validateRequest.js';

const READ = 0, WRITE = 1, DISC = 2, FLUSH = 3, TRIM = 4, CACHE = 5, WRITE_ZEROES = 6, BLOCK_STATUS = 7;
const FUA = 1, NO_HOLE = 2, DF = 4, REQ_ONE = 8, FAST_ZERO = 16;
const EPERM = 1, EINVAL = 22, ENOSPC = 28;

describe('validateRequest', () => {
  const limits: RequestLimits = {
    size: 1 << 20,
    readOnly: false,
    structuredReplies: true,
    baseAllocation: true,
    blockSizes: { minimum: 1, preferred: 4096, maximum: 65536 },
  };

  it('accepts every command with the flags it takes', () => {
    expect(validateRequest(READ, FUA | DF, 0n, 10, limits)).to.equal(0);
    expect(validateRequest(WRITE, FUA, 0n, 10, limits)).to.equal(0);
    expect(validateRequest(FLUSH, FUA, 0n, 0, limits)).to.equal(0);
    expect(validateRequest(TRIM, FUA, 0n, 1 << 20, limits)).to.equal(0);
    expect(validateRequest(CACHE, 0, 0n, 1 << 20, limits)).to.equal(0);
    expect(validateRequest(WRITE_ZEROES, NO_HOLE | FAST_ZERO | FUA, 0n, 1 << 20, limits)).to.equal(0);
    expect(validateRequest(BLOCK_STATUS, REQ_ONE, 0n, 1 << 20, limits)).to.equal(0);
  });

  it('refuses flags a command does not take, and unknown commands', () => {
    expect(validateRequest(WRITE, DF, 0n, 10, limits)).to.equal(EINVAL);
    expect(validateRequest(TRIM, NO_HOLE, 0n, 10, limits)).to.equal(EINVAL);
    expect(validateRequest(READ, FAST_ZERO, 0n, 10, limits)).to.equal(EINVAL);
    expect(validateRequest(READ, REQ_ONE, 0n, 10, limits)).to.equal(EINVAL);
    expect(validateRequest(READ, DF, 0n, 10, { ...limits, structuredReplies: false })).to.equal(EINVAL);
    expect(validateRequest(8, 0, 0n, 0, limits)).to.equal(EINVAL);
    expect(validateRequest(0xffff, 0, 0n, 0, limits)).to.equal(EINVAL);
    expect(validateRequest(DISC, 0, 0n, 0, limits)).to.equal(EINVAL);
  });

  it('refuses ranges past the end: ENOSPC for writes, EINVAL otherwise', () => {
    expect(validateRequest(READ, 0, BigInt((1 << 20) - 1), 2, limits)).to.equal(EINVAL);
    expect(validateRequest(WRITE, 0, BigInt((1 << 20) - 1), 2, limits)).to.equal(ENOSPC);
    expect(validateRequest(WRITE_ZEROES, 0, 1n << 20n, 1, limits)).to.equal(ENOSPC);
    expect(validateRequest(TRIM, 0, 2n ** 64n - 1n, 1, limits)).to.equal(EINVAL);
    expect(validateRequest(BLOCK_STATUS, 0, 0n, (1 << 20) + 1, limits)).to.equal(EINVAL);
    expect(validateRequest(READ, 0, 0n, 0, limits)).to.equal(EINVAL);
  });

  it('limits READ and WRITE to the maximum block size, not the commands without payload', () => {
    expect(validateRequest(READ, 0, 0n, 65537, limits)).to.equal(EINVAL);
    expect(validateRequest(WRITE, 0, 0n, 65537, limits)).to.equal(EINVAL);
    expect(validateRequest(TRIM, 0, 0n, 65537, limits)).to.equal(0);
  });

  it('enforces the minimum block size alignment', () => {
    const aligned = { ...limits, blockSizes: { minimum: 512, preferred: 4096, maximum: 65536 } };
    expect(validateRequest(READ, 0, 512n, 1024, aligned)).to.equal(0);
    expect(validateRequest(READ, 0, 511n, 1024, aligned)).to.equal(EINVAL);
    expect(validateRequest(READ, 0, 512n, 1000, aligned)).to.equal(EINVAL);
  });

  it('refuses changes to a read-only export with EPERM, and FLUSH with a range', () => {
    const ro = { ...limits, readOnly: true };
    expect(validateRequest(WRITE, 0, 0n, 1, ro)).to.equal(EPERM);
    expect(validateRequest(TRIM, 0, 0n, 1, ro)).to.equal(EPERM);
    expect(validateRequest(WRITE_ZEROES, 0, 0n, 1, ro)).to.equal(EPERM);
    expect(validateRequest(READ, 0, 0n, 1, ro)).to.equal(0);
    expect(validateRequest(FLUSH, 0, 0n, 1, limits)).to.equal(EINVAL);
    expect(validateRequest(FLUSH, 0, 1n, 0, limits)).to.equal(EINVAL);
  });

  it('refuses BLOCK_STATUS when base:allocation was not selected', () => {
    expect(validateRequest(BLOCK_STATUS, 0, 0n, 1, { ...limits, baseAllocation: false })).to.equal(EINVAL);
  });
});
