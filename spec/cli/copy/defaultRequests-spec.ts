import { expect } from 'chai';
import { defaultRequests } from '../../../src/cli/copy/copyCommand.js';

describe('copy: requests in flight by default', () => {
  it('keeps 2 from an NBD export to a local file, which is written synchronously from each buffer', () => {
    expect(defaultRequests('nbd://127.0.0.1:10809/disk', '/tmp/out.img')).to.equal(2);
    expect(defaultRequests('nbds://127.0.0.1/disk', 'out.img')).to.equal(2);
  });

  it('keeps 16 everywhere else', () => {
    expect(defaultRequests('in.img', 'nbd://127.0.0.1/disk')).to.equal(16);
    expect(defaultRequests('nbd://127.0.0.1/a', 'nbd://127.0.0.1/b')).to.equal(16);
    expect(defaultRequests('nbd://127.0.0.1/disk', 'null:')).to.equal(16);
    expect(defaultRequests('nbd://127.0.0.1/disk', '-')).to.equal(16);
    expect(defaultRequests('-', 'out.img')).to.equal(16);
  });
});
