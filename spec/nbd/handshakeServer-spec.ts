import { expect } from 'chai';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { NbdHandshakeError } from '../../src/nbd/errors.js';
import { HandshakeReader, encodeGoOrInfo, encodeOption, encodeSetMetaContext, parseInfo, parseMetaContextReply, parseServerReply } from '../../src/nbd/handshakeClient.js';
import {
  ServerHandshakeReader,
  encodeExportNameReply,
  encodeGreeting,
  encodeInfoBlockSize,
  encodeInfoDescription,
  encodeInfoExport,
  encodeInfoName,
  encodeMetaContextReply,
  encodeOptionError,
  encodeOptionReply,
  encodeServerReply,
  parseGoOrInfo,
  parseMetaContextRequest,
} from '../../src/nbd/handshakeServer.js';
import { InfoType, Option, OptionError, OptionReply } from '../../src/nbd/protocol.js';
import { ascii, hex, splits } from './bytes.js';

const IHAVEOPT = '49484156454f5054';
const REPLY_MAGIC = '0003e889045565a9';

function expectCode(fn: () => unknown, code: string): NbdHandshakeError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).to.be.instanceOf(NbdHandshakeError).with.property('code', code);
  return caught as NbdHandshakeError;
}

describe('nbd/handshakeServer', () => {
  it('encodes the greeting: NBDMAGIC, IHAVEOPT, u16 flags', () => {
    expect(encodeGreeting(3)).to.deep.equal(hex('4e42444d41474943 49484156454f5054 0003'));
  });

  describe('ServerHandshakeReader', () => {
    const GO_DATA = Buffer.concat([hex('00000004'), ascii('disk'), hex('0001 0003')]);
    const STREAM = Buffer.concat([
      hex('00000003'),
      hex(`${IHAVEOPT} 00000008 00000000`),
      hex(`${IHAVEOPT} 00000007 0000000c`),
      GO_DATA,
      hex('25609513'),
    ]);

    it('reads client flags, options, and leaves the rest, at every split', () => {
      for (const chunks of splits(STREAM)) {
        const reader = new ServerHandshakeReader();
        let flags: number | undefined;
        const options: { option: number; data: Buffer }[] = [];
        for (const chunk of chunks) {
          reader.push(chunk);
          if (flags === undefined) flags = reader.readClientFlags();
          if (flags === undefined) continue;
          for (let o; options.length < 2 && (o = reader.readOption()); ) options.push(o);
        }
        expect(flags).to.equal(3);
        expect(options).to.deep.equal([
          { option: 8, data: Buffer.alloc(0) },
          { option: 7, data: GO_DATA },
        ]);
        expect(reader.takeRest()).to.deep.equal(hex('25609513'));
      }
    });

    it('refuses an oversized option, skips its data as it arrives, and reads the next one (every split)', () => {
      const stream = Buffer.concat([
        hex(`${IHAVEOPT} 00000003 00000011`),
        Buffer.alloc(17, 0xaa),
        hex(`${IHAVEOPT} 00000002 00000000`),
      ]);
      for (const chunks of splits(stream)) {
        const reader = new ServerHandshakeReader({ maxOptionBytes: 16 });
        const seen: (number | string)[] = [];
        for (const chunk of chunks) {
          reader.push(chunk);
          for (;;) {
            try {
              const o = reader.readOption();
              if (!o) break;
              seen.push(o.option);
            } catch (err) {
              seen.push(`${(err as NbdHandshakeError).code}:${(err as NbdHandshakeError).option}`);
            }
          }
        }
        expect(seen).to.deep.equal(['NBD_OPTION_TOO_BIG:3', Option.Abort]);
        expect(reader.buffered).to.equal(0);
      }
    });

    it('refuses a bad option magic', () => {
      const reader = new ServerHandshakeReader();
      reader.push(hex(`49484156454f5055 00000008 00000000`));
      expectCode(() => reader.readOption(), 'NBD_HANDSHAKE');
    });

    it('refuses to buffer more than maxBufferedBytes', () => {
      const reader = new ServerHandshakeReader({ maxBufferedBytes: 16 });
      expectCode(() => reader.push(Buffer.alloc(17)), 'NBD_OPTION_TOO_BIG');
    });
  });

  describe('option replies', () => {
    it('encodes a reply header with and without data', () => {
      expect(encodeOptionReply(Option.StructuredReply, OptionReply.Ack)).to.deep.equal(
        hex(`${REPLY_MAGIC} 00000008 00000001 00000000`),
      );
      expect(encodeOptionReply(Option.Go, OptionReply.Info, hex('0001 6162'))).to.deep.equal(
        hex(`${REPLY_MAGIC} 00000007 00000003 00000004 0001 6162`),
      );
    });

    it('encodes an error reply with its message', () => {
      expect(encodeOptionError(Option.Go, OptionError.Unknown, 'no such')).to.deep.equal(
        Buffer.concat([hex(`${REPLY_MAGIC} 00000007 80000006 00000007`), ascii('no such')]),
      );
      expect(encodeOptionError(Option.List, OptionError.Policy)).to.deep.equal(hex(`${REPLY_MAGIC} 00000003 80000002 00000000`));
    });

    it('encodes info data', () => {
      expect(encodeInfoExport(2 ** 32, 0x18d)).to.deep.equal(hex('0000 00000001 00000000 018d'));
      expect(encodeInfoExport(2n ** 32n, 0x18d)).to.deep.equal(hex('0000 00000001 00000000 018d'));
      expect(encodeInfoBlockSize(1, 4096, 32 * 1024 * 1024)).to.deep.equal(hex('0003 00000001 00001000 02000000'));
      expect(encodeInfoName('disk')).to.deep.equal(Buffer.concat([hex('0001'), ascii('disk')]));
      expect(encodeInfoDescription('a disk')).to.deep.equal(Buffer.concat([hex('0002'), ascii('a disk')]));
    });

    it('encodes server and meta context data', () => {
      expect(encodeServerReply('disk', 'a disk')).to.deep.equal(Buffer.concat([hex('00000004'), ascii('diska disk')]));
      expect(encodeServerReply('')).to.deep.equal(hex('00000000'));
      expect(encodeMetaContextReply(1, 'base:allocation')).to.deep.equal(
        Buffer.concat([hex('00000001'), ascii('base:allocation')]),
      );
    });

    it('encodes the EXPORT_NAME reply with and without zeroes', () => {
      expect(encodeExportNameReply(2 ** 32, 3, true)).to.deep.equal(hex('00000001 00000000 0003'));
      expect(encodeExportNameReply(2n ** 32n, 3, false)).to.deep.equal(
        Buffer.concat([hex('00000001 00000000 0003'), Buffer.alloc(124)]),
      );
    });

    it('refuses strings NBD forbids', () => {
      expect(() => encodeServerReply('a\0b')).to.throw(InvalidArgumentError);
      expect(() => encodeOptionError(Option.Go, OptionError.Invalid, 'x'.repeat(4097))).to.throw(InvalidArgumentError);
    });

    it('round-trips through the client reader and parsers', () => {
      const stream = Buffer.concat([
        encodeOptionReply(Option.List, OptionReply.Server, encodeServerReply('disk', 'a disk')),
        encodeOptionReply(Option.SetMetaContext, OptionReply.MetaContext, encodeMetaContextReply(9, 'base:allocation')),
        encodeOptionReply(Option.Go, OptionReply.Info, encodeInfoExport(1n << 40n, 0x4d)),
        encodeOptionReply(Option.Go, OptionReply.Info, encodeInfoBlockSize(512, 4096, 1 << 20)),
        encodeOptionReply(Option.Go, OptionReply.Ack),
      ]);
      const reader = new HandshakeReader();
      reader.push(stream);
      const replies = Array.from({ length: 5 }, () => reader.readOptionReply()!);
      expect(parseServerReply(replies[0].data)).to.deep.equal({ name: 'disk', description: 'a disk' });
      expect(parseMetaContextReply(replies[1].data)).to.deep.equal({ id: 9, name: 'base:allocation' });
      expect(parseInfo(replies[2].data)).to.deep.equal({ type: 'export', size: 1n << 40n, flags: 0x4d });
      expect(parseInfo(replies[3].data)).to.deep.equal({ type: 'blockSize', minimum: 512, preferred: 4096, maximum: 1 << 20 });
      expect(replies[4]).to.deep.equal({ option: Option.Go, type: OptionReply.Ack, data: Buffer.alloc(0) });
      expect(reader.buffered).to.equal(0);
    });
  });

  describe('option data parsers', () => {
    it('parses GO / INFO data', () => {
      const data = Buffer.concat([hex('00000004'), ascii('disk'), hex('0002 0003 0001')]);
      expect(parseGoOrInfo(data)).to.deep.equal({ name: 'disk', infoRequests: [3, 1] });
      expect(parseGoOrInfo(hex('00000000 0000'), Option.Info)).to.deep.equal({ name: '', infoRequests: [] });
    });

    it('reads what the client encodes', () => {
      const go = encodeGoOrInfo(Option.Go, 'vm/disk é', [InfoType.Name, InfoType.BlockSize]);
      expect(parseGoOrInfo(go.subarray(16))).to.deep.equal({ name: 'vm/disk é', infoRequests: [1, 3] });
      const meta = encodeSetMetaContext(Option.SetMetaContext, 'disk', ['base:allocation', 'qemu:dirty-bitmap:b']);
      expect(parseMetaContextRequest(meta.subarray(16))).to.deep.equal({
        name: 'disk',
        queries: ['base:allocation', 'qemu:dirty-bitmap:b'],
      });
    });

    it('refuses GO data whose lengths do not add up, with NBD_OPT_INVALID and the option', () => {
      const bad = [
        hex('000000'), // no name length
        Buffer.concat([hex('00000005'), ascii('disk')]), // name past the data
        Buffer.concat([hex('00000004'), ascii('disk')]), // no request count
        Buffer.concat([hex('00000004'), ascii('disk'), hex('0002 0003')]), // requests past the data
        Buffer.concat([hex('00000004'), ascii('disk'), hex('0001 0003 00')]), // trailing byte
        encodeOption(Option.Go).subarray(16), // no data at all
      ];
      for (const data of bad) expect(expectCode(() => parseGoOrInfo(data, Option.Info), 'NBD_OPT_INVALID').option).to.equal(Option.Info);
    });

    it('parses SET_META_CONTEXT data', () => {
      const data = Buffer.concat([hex('00000004'), ascii('disk'), hex('00000001 0000000f'), ascii('base:allocation')]);
      expect(parseMetaContextRequest(data)).to.deep.equal({ name: 'disk', queries: ['base:allocation'] });
      expect(parseMetaContextRequest(hex('00000000 00000000'))).to.deep.equal({ name: '', queries: [] });
    });

    it('refuses SET_META_CONTEXT data whose lengths do not add up', () => {
      const bad = [
        hex('00000000'), // no query count
        hex('00000000 ffffffff'), // a count no data can hold
        Buffer.concat([hex('00000000 00000001 00000010'), ascii('base:allocation')]), // query past the data
        Buffer.concat([hex('00000000 00000001 0000000f'), ascii('base:allocation'), hex('00')]), // trailing byte
      ];
      for (const data of bad) {
        const err = expectCode(() => parseMetaContextRequest(data), 'NBD_OPT_INVALID');
        expect(err.option).to.equal(Option.SetMetaContext);
      }
    });
  });
});
