import { expect } from 'chai';
import { HandshakeReader, encodeClientFlags, encodeGoOrInfo, encodeOption } from '../../../src/nbd/handshakeClient.js';
import { ClientFlag, InfoType, Option, OptionError, OptionReply } from '../../../src/nbd/protocol.js';
import { buildExportTable } from '../../../src/nbd/server/exportTable.js';
import { ServerHandshake, type HandshakeStep } from '../../../src/nbd/server/serverHandshake.js';

const FLAGS = encodeClientFlags(ClientFlag.FixedNewstyle | ClientFlag.NoZeroes);
const GO = encodeGoOrInfo(Option.Go, '', [InfoType.BlockSize]);

function handshake(tls?: 'optional' | 'required'): ServerHandshake {
  return new ServerHandshake({ exports: buildExportTable([{ name: '', size: 1 << 20 }]), blockSizes: { minimum: 1, preferred: 4096, maximum: 1 << 20 }, tls });
}

/** The option replies of a step, as [option, type]. */
function replies(step: HandshakeStep): [number, number][] {
  const reader = new HandshakeReader();
  for (const r of step.replies) reader.push(r);
  const out: [number, number][] = [];
  for (let r; (r = reader.readOptionReply()); ) out.push([r.option, r.type]);
  return out;
}

describe('ServerHandshake with TLS', () => {
  it('answers STARTTLS with ERR_UNSUP when TLS is not configured, and goes on', () => {
    const h = handshake();
    const step = h.push(Buffer.concat([FLAGS, encodeOption(Option.StartTls)]));
    expect(replies(step)).to.deep.equal([[Option.StartTls, OptionError.Unsup]]);
    expect(step.startTls).to.equal(undefined);
    expect(h.push(GO).done).to.not.equal(undefined);
  });

  it('ACKs STARTTLS and asks for the upgrade; pushing before tlsStarted() closes', () => {
    const h = handshake('optional');
    const step = h.push(Buffer.concat([FLAGS, encodeOption(Option.StartTls)]));
    expect(replies(step)).to.deep.equal([[Option.StartTls, OptionReply.Ack]]);
    expect(step.startTls).to.equal(true);
    expect(h.push(GO).close).to.match(/plaintext/);
  });

  it('closes without an ACK when bytes follow STARTTLS before the TLS handshake (injection)', () => {
    const h = handshake('optional');
    const step = h.push(Buffer.concat([FLAGS, encodeOption(Option.StartTls), GO]));
    expect(step.replies).to.deep.equal([]);
    expect(step.startTls).to.equal(undefined);
    expect(step.close).to.match(/after NBD_OPT_STARTTLS/);
  });

  it('forgets what was negotiated before STARTTLS, and refuses a second STARTTLS', () => {
    const h = handshake('optional');
    h.push(Buffer.concat([FLAGS, encodeOption(Option.StructuredReply)]));
    expect(h.push(encodeOption(Option.StartTls)).startTls).to.equal(true);
    h.tlsStarted();
    expect(replies(h.push(encodeOption(Option.StartTls)))).to.deep.equal([[Option.StartTls, OptionError.Invalid]]);
    const done = h.push(GO).done!;
    expect(done.structuredReplies).to.equal(false); // asked for before TLS: forgotten
  });

  it("with 'required', refuses every option before STARTTLS with ERR_TLS_REQD, then serves them over TLS", () => {
    const h = handshake('required');
    const before = h.push(Buffer.concat([FLAGS, encodeOption(Option.StructuredReply), encodeOption(Option.List), GO]));
    expect(replies(before)).to.deep.equal([
      [Option.StructuredReply, OptionError.TlsReqd],
      [Option.List, OptionError.TlsReqd],
      [Option.Go, OptionError.TlsReqd],
    ]);
    expect(before.done).to.equal(undefined);
    expect(h.push(encodeOption(Option.StartTls)).startTls).to.equal(true);
    h.tlsStarted();
    expect(replies(h.push(encodeOption(Option.StructuredReply)))).to.deep.equal([[Option.StructuredReply, OptionReply.Ack]]);
    expect(h.push(GO).done).to.include({ structuredReplies: true });
  });

  it("with 'required', closes on EXPORT_NAME before TLS (it has no error reply) and ACKs ABORT", () => {
    const exportName = handshake('required').push(Buffer.concat([FLAGS, encodeOption(Option.ExportName)]));
    expect(exportName.close).to.match(/without TLS/);
    expect(exportName.done).to.equal(undefined);
    const abort = handshake('required').push(Buffer.concat([FLAGS, encodeOption(Option.Abort)]));
    expect(replies(abort)).to.deep.equal([[Option.Abort, OptionReply.Ack]]);
  });
});
