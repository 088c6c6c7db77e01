/**
 * TLS downgrade: a man in the middle between the client and a real server
 * (the emulator) fakes refusals to keep the connection in plaintext. With
 * TLS required (nbds://) the connect must fail with a coded error, and the
 * client must never have sent more than its flags and NBD_OPT_STARTTLS. No
 * certificates are needed: the client fails before any TLS handshake.
 */
import { expect } from 'chai';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { connectNbd } from '../../../src/nbd/client/index.js';
import type { NbdServerHandle } from '../../../src/nbd/server/serveNbd.js';
import { portOf, startServer } from '../server/rawClient.js';
import { startDowngradeProxy, type DowngradeProxy, type Tamper } from './downgradeProxy.js';

/** What a client requiring TLS may send before TLS: its flags, then NBD_OPT_STARTTLS. */
const FLAGS_AND_STARTTLS = Buffer.from('00000003' + Buffer.from('IHAVEOPT').toString('hex') + '00000005' + '00000000', 'hex');
const REQUEST_MAGIC = Buffer.from('25609513', 'hex');
const IHAVEOPT = Buffer.from('IHAVEOPT');

function occurrences(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

describe('TLS downgrade attempts (man in the middle)', function () {
  this.timeout(10_000);
  let server: NbdServerHandle;
  let proxy: DowngradeProxy | undefined;

  before(async () => {
    server = await startServer({ exports: [{ name: '', size: 1 << 20 }] }); // no TLS at all
  });
  after(() => server.close());
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  async function attempt(tamper: Tamper, options: Parameters<typeof connectNbd>[1] = {}): Promise<{ error: { code?: string; message?: string }; sent: Buffer }> {
    proxy = await startDowngradeProxy(portOf(server), tamper);
    const error = await firstValueFrom(connectNbd(`nbds://127.0.0.1:${proxy.port}/`, { handshakeTimeoutMs: 2000, ...options })).then(
      (client) => {
        client.destroy();
        return { code: 'CONNECTED' };
      },
      (err) => err,
    );
    await proxy.clientClosed; // the client dropped the connection: everything it sent is recorded
    return { error, sent: proxy.received() };
  }

  function expectNothingLeaked(sent: Buffer): void {
    expect(occurrences(sent, REQUEST_MAGIC), 'request header magic').to.equal(0);
    expect(occurrences(sent, IHAVEOPT), 'options').to.be.at.most(1);
  }

  const refusals: [Tamper, string][] = [
    ['refuse-starttls', 'answers STARTTLS with NBD_REP_ERR_UNSUP'],
    ['policy-starttls', 'answers STARTTLS with NBD_REP_ERR_POLICY'],
    ['wrong-option-reply', 'answers STARTTLS with a reply for another option'],
    ['none', 'lets the plaintext-only server refuse STARTTLS itself'],
  ];
  for (const [tamper, what] of refusals) {
    it(`fails with NBD_TLS_REQUIRED when the man in the middle ${what}; only the flags and STARTTLS were sent`, async () => {
      const { error, sent } = await attempt(tamper);
      expect(error.code).to.equal('NBD_TLS_REQUIRED');
      expect(sent).to.deep.equal(FLAGS_AND_STARTTLS);
      expectNothingLeaked(sent);
    });
  }

  it('fails with NBD_TLS_REQUIRED when FIXED_NEWSTYLE is stripped from the greeting; nothing at all was sent', async () => {
    const { error, sent } = await attempt('strip-fixed-newstyle');
    expect(error.code).to.equal('NBD_TLS_REQUIRED');
    expect(sent.length).to.equal(0);
  });

  it('fails with RXB_TLS when forged plaintext follows the STARTTLS ACK (injection); nothing more was sent', async () => {
    const { error, sent } = await attempt('inject-after-ack');
    expect(error.code).to.equal('RXB_TLS');
    expect(sent).to.deep.equal(FLAGS_AND_STARTTLS);
  });

  it('fails with RXB_TLS within the handshake timeout when the TLS hello is never answered; no plaintext after STARTTLS', async () => {
    const started = Date.now();
    const { error, sent } = await attempt('ack-then-silence', { handshakeTimeoutMs: 300 });
    expect(error.code).to.equal('RXB_TLS');
    expect(Date.now() - started).to.be.below(3000);
    expect(sent.subarray(0, FLAGS_AND_STARTTLS.length)).to.deep.equal(FLAGS_AND_STARTTLS);
    // What follows is the TLS client hello (record type 22, handshake), not NBD.
    expect(sent[FLAGS_AND_STARTTLS.length]).to.equal(0x16);
    expectNothingLeaked(sent.subarray(FLAGS_AND_STARTTLS.length));
  });

  it("with tls: 'prefer' on nbd://, a refused STARTTLS goes on in plaintext (the risk 'require' exists for)", async () => {
    proxy = await startDowngradeProxy(portOf(server), 'refuse-starttls');
    const client = await firstValueFrom(connectNbd(`nbd://127.0.0.1:${proxy.port}/`, { tls: 'prefer' }));
    expect(client.info.tls).to.equal(false);
    await lastValueFrom(client.write(0, Buffer.alloc(4096, 9)), { defaultValue: undefined });
    expect((await firstValueFrom(client.read(0, 4096))).every((b) => b === 9)).to.equal(true);
    await lastValueFrom(client.close(), { defaultValue: undefined });
    expect(occurrences(proxy.received(), REQUEST_MAGIC)).to.be.above(0); // the proxy did see plaintext requests
  });

  it("with tls: 'prefer', a reply for another option is still a handshake error, not plaintext", async () => {
    proxy = await startDowngradeProxy(portOf(server), 'wrong-option-reply');
    const error = await firstValueFrom(connectNbd(`nbd://127.0.0.1:${proxy.port}/`, { tls: 'prefer' })).then(() => undefined, (e) => e);
    expect(error).to.have.property('code', 'NBD_HANDSHAKE');
    await proxy.clientClosed;
    expect(proxy.received()).to.deep.equal(FLAGS_AND_STARTTLS);
  });
});
