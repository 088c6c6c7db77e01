import { expect } from 'chai';
import type { NbdServerHandle } from '../../src/nbd/server/serveNbd.js';
import { freePort } from '../helpers/peers.js';
import { exportUri, runCli, startEmulator } from './cliHarness.js';

describe('rxbridge info', () => {
  let server: NbdServerHandle;

  before(async () => {
    server = await startEmulator([
      { name: '', size: 64 << 20 },
      { name: 'ro', size: 3 << 19, readOnly: true, description: 'a read-only disk' },
    ]);
  });
  after(() => server.close());

  it('prints size, flags and block sizes like nbdinfo', async () => {
    const r = await runCli(['info', server.uri]);
    expect(r.code, r.stderr).to.equal(0);
    const text = r.stdout.toString();
    expect(text).to.contain('export="":');
    expect(text).to.contain('export-size: 67108864 (64M)');
    expect(text).to.contain('is_read_only: false');
    expect(text).to.contain('can_multi_conn: true');
    expect(text).to.match(/block_size_preferred: 4096\n/);
    expect(text).to.contain('base:allocation');
    expect(text).to.contain(`uri: ${server.uri}\n`);
  });

  it('prints one JSON document with nbdinfo field names', async () => {
    const r = await runCli(['info', '--json', exportUri(server, 'ro')]);
    expect(r.code, r.stderr).to.equal(0);
    const doc = JSON.parse(r.stdout.toString());
    expect(doc).to.include({ protocol: 'newstyle-fixed', TLS: false, structured: true });
    expect(doc.exports).to.have.length(1);
    expect(doc.exports[0]).to.include({
      'export-name': 'ro',
      'export-size': 3 << 19,
      'export-size-str': '1.5M',
      is_read_only: true,
      can_flush: true,
      block_size_minimum: 1,
      block_size_preferred: 4096,
      block_size_advertised: true,
    });
    expect(doc.exports[0].contexts).to.deep.equal(['base:allocation']);
  });

  it('lists every export with its description (--list)', async () => {
    const r = await runCli(['info', '--list', '--json', server.uri]);
    expect(r.code, r.stderr).to.equal(0);
    const exports = JSON.parse(r.stdout.toString()).exports;
    expect(exports.map((e: { 'export-name': string }) => e['export-name'])).to.have.members(['', 'ro']);
    const ro = exports.find((e: { 'export-name': string }) => e['export-name'] === 'ro');
    expect(ro).to.include({ description: 'a read-only disk', 'export-size': 3 << 19, uri: `${server.uri}ro` });
  });

  it('exits 1 with the error code when nothing listens', async () => {
    const r = await runCli(['info', `nbd://127.0.0.1:${await freePort()}/`]);
    expect(r.code).to.equal(1);
    expect(r.stdout.length).to.equal(0);
    expect(r.stderr).to.match(/^rxbridge info: .*ECONNREFUSED.* \[RXB_CONNECTION_CLOSED\]\n$/);
  });

  it('exits 1 with the server\'s refusal for an unknown export', async () => {
    const r = await runCli(['info', exportUri(server, 'missing')]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/\[NBD_OPT_UNKNOWN\]/);
  });

  it('exits 1 on a URI that is not an NBD URI', async () => {
    const r = await runCli(['info', 'http://example.com/']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/unsupported scheme 'http'.*\[RXB_INVALID_ARGUMENT\]/);
  });
});
