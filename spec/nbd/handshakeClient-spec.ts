import { expect } from 'chai';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { NbdHandshakeError } from '../../src/nbd/errors.js';
import {
  HandshakeReader,
  encodeClientFlags,
  encodeExportName,
  encodeGoOrInfo,
  encodeOption,
  encodeSetMetaContext,
  optionErrorMessage,
  parseInfo,
  parseMetaContextReply,
  parseServerReply,
  type NbdOptionReply,
} from '../../src/nbd/handshakeClient.js';
import { InfoType, Option } from '../../src/nbd/protocol.js';
import { ascii, hex, splits } from './bytes.js';

const IHAVEOPT = '49484156454f5054';
const REPLY_MAGIC = '0003e889045565a9';

function expectCode(fn: () => unknown, code: string): void {
  expect(fn).to.throw(NbdHandshakeError).with.property('code', code);
}

describe('nbd/handshakeClient', () => {
  describe('encoders', () => {
    it('encodes the client flags as a u32', () => {
      expect(encodeClientFlags(3)).to.deep.equal(hex('00000003'));
    });

    it('encodes an option without data', () => {
      expect(encodeOption(Option.StructuredReply)).to.deep.equal(hex(`${IHAVEOPT} 00000008 00000000`));
    });

    it('encodes an option with data', () => {
      expect(encodeOption(Option.List, hex('abcd'))).to.deep.equal(hex(`${IHAVEOPT} 00000003 00000002 abcd`));
    });

    it('encodes GO: name length, name, info request count, info requests', () => {
      expect(encodeGoOrInfo(Option.Go, 'disk', [InfoType.BlockSize, InfoType.Name])).to.deep.equal(
        Buffer.concat([hex(`${IHAVEOPT} 00000007 0000000e 00000004`), ascii('disk'), hex('0002 0003 0001')]),
      );
    });

    it('encodes INFO for the default export with no requests', () => {
      expect(encodeGoOrInfo(Option.Info, '', [])).to.deep.equal(hex(`${IHAVEOPT} 00000006 00000006 00000000 0000`));
    });

    it('encodes SET_META_CONTEXT: name, query count, each query with its length', () => {
      expect(encodeSetMetaContext(Option.SetMetaContext, 'disk', ['base:allocation'])).to.deep.equal(
        Buffer.concat([
          hex(`${IHAVEOPT} 0000000a 0000001f 00000004`),
          ascii('disk'),
          hex('00000001 0000000f'),
          ascii('base:allocation'),
        ]),
      );
      expect(encodeSetMetaContext(Option.ListMetaContext, '', [])).to.deep.equal(
        hex(`${IHAVEOPT} 00000009 00000008 00000000 00000000`),
      );
    });

    it('encodes EXPORT_NAME with the UTF-8 name as the whole data', () => {
      expect(encodeExportName('é')).to.deep.equal(hex(`${IHAVEOPT} 00000001 00000002 c3a9`));
    });

    it('refuses names NBD forbids: over 4096 bytes, or with NUL', () => {
      expect(() => encodeExportName('x'.repeat(4097))).to.throw(InvalidArgumentError);
      expect(() => encodeGoOrInfo(Option.Go, 'a\0b', [])).to.throw(InvalidArgumentError);
      expect(() => encodeSetMetaContext(Option.SetMetaContext, '', ['é'.repeat(2049)])).to.throw(InvalidArgumentError);
      expect(encodeExportName('x'.repeat(4096)).length).to.equal(16 + 4096);
    });
  });

  describe('HandshakeReader', () => {
    const GREETING = hex('4e42444d41474943 49484156454f5054 0003');
    const REPLIES: { bytes: Buffer; reply: NbdOptionReply }[] = [
      {
        bytes: hex(`${REPLY_MAGIC} 00000008 00000001 00000000`),
        reply: { option: 8, type: 1, data: Buffer.alloc(0) },
      },
      {
        bytes: hex(`${REPLY_MAGIC} 0000000a 00000004 00000013 00000001 ${ascii('base:allocation').toString('hex')}`),
        reply: { option: 10, type: 4, data: Buffer.concat([hex('00000001'), ascii('base:allocation')]) },
      },
      {
        bytes: hex(`${REPLY_MAGIC} 00000007 00000003 0000000c 0000 00000000 40000000 0005`),
        reply: { option: 7, type: 3, data: hex('0000 00000000 40000000 0005') },
      },
      {
        bytes: hex(`${REPLY_MAGIC} 00000007 80000006 00000007 ${ascii('no such').toString('hex')}`),
        reply: { option: 7, type: 0x80000006, data: ascii('no such') },
      },
    ];
    const TRAILER = hex('67446698');
    const STREAM = Buffer.concat([GREETING, ...REPLIES.map((r) => r.bytes), TRAILER]);

    /** Pushes chunks and reads what is expected next, like a client would. */
    function readAll(chunks: Buffer[]): { greeting?: { handshakeFlags: number }; replies: NbdOptionReply[]; rest: Buffer } {
      const reader = new HandshakeReader();
      let greeting: { handshakeFlags: number } | undefined;
      const replies: NbdOptionReply[] = [];
      for (const chunk of chunks) {
        reader.push(chunk);
        if (!greeting) greeting = reader.readGreeting();
        if (!greeting) continue;
        for (let r; replies.length < REPLIES.length && (r = reader.readOptionReply()); ) replies.push(r);
      }
      return { greeting, replies, rest: reader.takeRest() };
    }

    it('reads the greeting, option replies and leaves the rest, at every split', () => {
      for (const chunks of splits(STREAM)) {
        expect(readAll(chunks)).to.deep.equal({
          greeting: { handshakeFlags: 3 },
          replies: REPLIES.map((r) => r.reply),
          rest: TRAILER,
        });
      }
    });

    it('returns copies: later pushes do not change a reply', () => {
      const reader = new HandshakeReader();
      const chunk = Buffer.from(REPLIES[3].bytes);
      reader.push(chunk);
      const reply = reader.readOptionReply()!;
      chunk.fill(0);
      reader.push(REPLIES[0].bytes);
      expect(reply.data).to.deep.equal(ascii('no such'));
      expect(reader.buffered).to.equal(20);
    });

    it('reads the EXPORT_NAME reply with and without the 124 zero bytes, at every split', () => {
      const body = hex('00000001 00000000 0003');
      const withZeroes = Buffer.concat([body, Buffer.alloc(124), TRAILER]);
      for (const [noZeroes, stream] of [[true, Buffer.concat([body, TRAILER])], [false, withZeroes]] as const) {
        for (const chunks of splits(stream)) {
          const reader = new HandshakeReader();
          let reply;
          for (const chunk of chunks) {
            reader.push(chunk);
            reply ??= reader.readExportNameReply(noZeroes);
          }
          expect(reply).to.deep.equal({ size: 0x1_0000_0000n, flags: 3 });
          expect(reader.takeRest()).to.deep.equal(TRAILER);
          expect(reader.buffered).to.equal(0);
        }
      }
    });

    describe('hostile input', () => {
      it('refuses a server that is not NBD as soon as 8 bytes are in', () => {
        const reader = new HandshakeReader();
        reader.push(ascii('SSH-2.0-'));
        expectCode(() => reader.readGreeting(), 'NBD_HANDSHAKE');
      });

      it('refuses an oldstyle server clearly', () => {
        const reader = new HandshakeReader();
        reader.push(hex('4e42444d41474943 0000420281861253'));
        expect(() => reader.readGreeting()).to.throw(NbdHandshakeError, /oldstyle not supported/);
      });

      it('refuses a wrong second magic', () => {
        const reader = new HandshakeReader();
        reader.push(hex('4e42444d41474943 49484156454f5055 0003'));
        expectCode(() => reader.readGreeting(), 'NBD_HANDSHAKE');
      });

      it('refuses a bad option reply magic', () => {
        const reader = new HandshakeReader();
        reader.push(hex(`0003e889045565aa 00000008 00000001 00000000`));
        expectCode(() => reader.readOptionReply(), 'NBD_HANDSHAKE');
      });

      it('refuses an option reply above maxOptionBytes from its header alone', () => {
        const reader = new HandshakeReader({ maxOptionBytes: 16 });
        reader.push(hex(`${REPLY_MAGIC} 00000003 00000002 00000011`));
        expectCode(() => reader.readOptionReply(), 'NBD_OPTION_TOO_BIG');
        const fits = new HandshakeReader({ maxOptionBytes: 16 });
        fits.push(hex(`${REPLY_MAGIC} 00000003 00000002 00000010`));
        expect(fits.readOptionReply()).to.equal(undefined);
      });

      it('refuses to buffer more than maxBufferedBytes', () => {
        const reader = new HandshakeReader({ maxBufferedBytes: 32 });
        reader.push(Buffer.alloc(20));
        expectCode(() => reader.push(Buffer.alloc(13)), 'NBD_OPTION_TOO_BIG');
      });
    });
  });

  describe('reply data parsers', () => {
    it('parses NBD_INFO_EXPORT', () => {
      expect(parseInfo(hex('0000 00000001 00000000 018d'))).to.deep.equal({ type: 'export', size: 0x1_0000_0000n, flags: 0x18d });
    });

    it('parses NBD_INFO_BLOCK_SIZE', () => {
      expect(parseInfo(hex('0003 00000001 00001000 02000000'))).to.deep.equal({
        type: 'blockSize',
        minimum: 1,
        preferred: 4096,
        maximum: 32 * 1024 * 1024,
      });
    });

    it('parses NBD_INFO_NAME and NBD_INFO_DESCRIPTION, and reports unknown types', () => {
      expect(parseInfo(Buffer.concat([hex('0001'), ascii('disk')]))).to.deep.equal({ type: 'name', name: 'disk' });
      expect(parseInfo(Buffer.concat([hex('0002'), ascii('a disk')]))).to.deep.equal({ type: 'description', description: 'a disk' });
      expect(parseInfo(hex('0009 abcdef'))).to.deep.equal({ type: 'unknown', infoType: 9 });
    });

    it('refuses malformed info replies', () => {
      expectCode(() => parseInfo(hex('00')), 'NBD_HANDSHAKE');
      expectCode(() => parseInfo(hex('0000 00000001 00000000 01')), 'NBD_HANDSHAKE');
      expectCode(() => parseInfo(hex('0000 00000001 00000000 0100 00')), 'NBD_HANDSHAKE');
      expectCode(() => parseInfo(hex('0003 00000001 00001000 020000')), 'NBD_HANDSHAKE');
    });

    it('parses NBD_REP_SERVER: name, then description', () => {
      expect(parseServerReply(Buffer.concat([hex('00000004'), ascii('diska disk')]))).to.deep.equal({
        name: 'disk',
        description: 'a disk',
      });
      expect(parseServerReply(hex('00000000'))).to.deep.equal({ name: '', description: '' });
    });

    it('refuses a server name past the data', () => {
      expectCode(() => parseServerReply(Buffer.concat([hex('00000005'), ascii('disk')])), 'NBD_HANDSHAKE');
      expectCode(() => parseServerReply(hex('000000')), 'NBD_HANDSHAKE');
    });

    it('parses NBD_REP_META_CONTEXT', () => {
      expect(parseMetaContextReply(Buffer.concat([hex('00000002'), ascii('base:allocation')]))).to.deep.equal({
        id: 2,
        name: 'base:allocation',
      });
      expectCode(() => parseMetaContextReply(hex('000002')), 'NBD_HANDSHAKE');
    });

    it('reads an error message as UTF-8', () => {
      expect(optionErrorMessage(Buffer.from('non trouvé', 'utf8'))).to.equal('non trouvé');
      expect(optionErrorMessage(Buffer.alloc(0))).to.equal('');
    });
  });
});
