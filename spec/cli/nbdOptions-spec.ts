import { expect } from 'chai';
import { nbdOptionsFor } from '../../src/cli/nbdOptions.js';

/** Bytes of an NBD request header (32 with extended headers). */
const HEADER = 32;

describe('nbdOptionsFor', () => {
  it('shares the requests and their bytes among the connections, without splitting a request', () => {
    const o = nbdOptionsFor(2, 16, 1 << 20);
    expect(o).to.include({ connections: 2, maxRequests: 8, maxBytes: 8 << 20, maxRequestBytes: 1 << 20 });
  });

  it('lets one write batch hold a whole WRITE with its header, so no request leaves in two pieces', () => {
    for (const requestSize of [64 << 10, 256 << 10, 1 << 20, 2 << 20, 32 << 20]) {
      const o = nbdOptionsFor(1, 16, requestSize);
      expect(o.maxBatchBytes, `request size ${requestSize}`).to.be.at.least(requestSize + HEADER);
      // Below 1 MiB a batch still takes several requests, as the engine's default would.
      expect(o.maxBatchBytes).to.be.at.least(Math.floor((1 << 20) / (requestSize + HEADER)) * (requestSize + HEADER));
    }
  });
});
