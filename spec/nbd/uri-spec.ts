import { expect } from 'chai';
import fc from 'fast-check';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { formatNbdUri, parseNbdUri, type NbdUriParts } from '../../src/nbd/uri.js';

describe('nbd/uri', () => {
  describe('parseNbdUri', () => {
    it('parses nbd://host/export with the default port', () => {
      expect(parseNbdUri('nbd://example.com/disk')).to.deep.equal({
        transport: 'tcp',
        host: 'example.com',
        port: 10809,
        exportName: 'disk',
        tls: 'off',
        params: {},
      });
    });

    it('takes the export name from the path without its leading slash, percent-decoded (uri.md table)', () => {
      const table: [string, string][] = [
        ['nbd://example.com/disk', 'disk'],
        ['nbd://example.com/', ''],
        ['nbd://example.com', ''],
        ['nbd://example.com//disk', '/disk'],
        ['nbd://example.com/hello%20world', 'hello world'],
        ['nbd://example.com/a+b', 'a+b'],
        ['nbd://example.com/vm/d%C3%A9j%C3%A0', 'vm/déjà'],
      ];
      for (const [uri, name] of table) expect(parseNbdUri(uri).exportName, uri).to.equal(name);
    });

    it('parses ports, IPv4 and bracketed IPv6 hosts, and ignores userinfo', () => {
      expect(parseNbdUri('nbd://[::1]:10810/x')).to.include({ host: '::1', port: 10810 });
      expect(parseNbdUri('nbd://[fe80::1:2]/x')).to.include({ host: 'fe80::1:2', port: 10809 });
      expect(parseNbdUri('nbd://192.0.2.1:1/x')).to.include({ host: '192.0.2.1', port: 1 });
      expect(parseNbdUri('nbds://alice@host:2000/x')).to.include({ host: 'host', port: 2000, tls: 'require' });
      expect(parseNbdUri('nbd://host:/x')).to.include({ port: 10809 });
    });

    it('reads the scheme case-insensitively', () => {
      expect(parseNbdUri('NBDS://Host/x')).to.include({ transport: 'tcp', host: 'Host', tls: 'require' });
    });

    it('parses nbd+unix:// and nbds+unix:// with the socket parameter', () => {
      expect(parseNbdUri('nbd+unix:///disk?socket=/tmp/nbd.sock')).to.deep.equal({
        transport: 'unix',
        socketPath: '/tmp/nbd.sock',
        exportName: 'disk',
        tls: 'off',
        params: { socket: '/tmp/nbd.sock' },
      });
      expect(parseNbdUri('nbds+unix:///?socket=%00/abstract')).to.include({
        transport: 'unix',
        socketPath: '\0/abstract',
        exportName: '',
        tls: 'require',
      });
      expect(parseNbdUri('nbd+unix:///x?socket=/run/a+b.sock').socketPath).to.equal('/run/a+b.sock');
    });

    it('reads the TLS parameters and keeps x- parameters', () => {
      const uri = parseNbdUri('nbds://h/x?tls-certificates=/etc/pki/nbd&tls-verify-peer=0&tls-hostname=srv.example&x-speed=fast#frag');
      expect(uri).to.deep.equal({
        transport: 'tcp',
        host: 'h',
        port: 10809,
        exportName: 'x',
        tls: 'require',
        tlsCertificates: '/etc/pki/nbd',
        tlsVerifyPeer: false,
        tlsHostname: 'srv.example',
        params: {
          'tls-certificates': '/etc/pki/nbd',
          'tls-verify-peer': '0',
          'tls-hostname': 'srv.example',
          'x-speed': 'fast',
        },
      });
      expect(parseNbdUri('nbds://h/?tls-verify-peer=1').tlsVerifyPeer).to.equal(true);
      expect(parseNbdUri('nbds://h/?tls-type=x509&tls-username=bob').params).to.deep.equal({ 'tls-type': 'x509', 'tls-username': 'bob' });
    });

    it('refuses what it cannot use, with a clear InvalidArgumentError', () => {
      const bad: [string, RegExp][] = [
        ['http://h/x', /unsupported scheme 'http'/],
        ['disk', /not an NBD URI/],
        ['nbd:disk', /not an NBD URI/],
        ['nbd+unix:///x', /needs \?socket=PATH/],
        ['nbds+unix:///x?socket=', /needs \?socket=PATH/],
        ['nbd:///x', /no host/],
        ['nbd://h:99999/x', /bad port/],
        ['nbd://h:0/x', /bad port/],
        ['nbd://h:1a/x', /bad authority/],
        ['nbd://h/%zz', /percent-encoding/],
        ['nbd://h/a%00b', /NUL/],
        ['nbd://h/x?foo=1', /unknown query parameter 'foo'/],
        ['nbd://h/x?socket=/s', /'socket' belongs in nbd\+unix/],
        ['nbds://h/x?tls-verify-peer=yes', /tls-verify-peer must be 0 or 1/],
      ];
      for (const [uri, message] of bad) {
        expect(() => parseNbdUri(uri), uri).to.throw(InvalidArgumentError, message);
      }
    });
  });

  describe('formatNbdUri', () => {
    it('formats TCP URIs, bracketing IPv6 and leaving out the default port', () => {
      expect(formatNbdUri({ transport: 'tcp', host: '::1', port: 10810, exportName: 'a b', tls: 'off' })).to.equal(
        'nbd://[::1]:10810/a%20b',
      );
      expect(formatNbdUri({ transport: 'tcp', host: 'h', port: 10809, exportName: '', tls: 'require' })).to.equal('nbds://h');
      expect(formatNbdUri({ transport: 'tcp', host: 'h', exportName: '/disk', tls: 'off' })).to.equal('nbd://h//disk');
    });

    it('formats Unix URIs with the socket and TLS parameters', () => {
      expect(
        formatNbdUri({
          transport: 'unix',
          socketPath: '/tmp/nbd.sock',
          exportName: 'disk',
          tls: 'require',
          tlsVerifyPeer: false,
          params: { 'x-a': '1 2', socket: 'ignored' },
        }),
      ).to.equal('nbds+unix:///disk?socket=/tmp/nbd.sock&tls-verify-peer=0&x-a=1%202');
    });

    it('round-trips with parseNbdUri', () => {
      const name = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !s.includes('\0'));
      const tcp = fc.record({
        transport: fc.constant('tcp' as const),
        host: fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6()),
        port: fc.integer({ min: 1, max: 65535 }),
        exportName: name,
        tls: fc.constantFrom('off' as const, 'require' as const),
      });
      const unix = fc.record({
        transport: fc.constant('unix' as const),
        socketPath: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
        exportName: name,
        tls: fc.constantFrom('off' as const, 'require' as const),
      });
      fc.assert(
        fc.property(fc.oneof(tcp, unix), (parts: NbdUriParts) => {
          const { params: _params, ...parsed } = parseNbdUri(formatNbdUri(parts));
          expect(parsed).to.deep.equal(parts);
        }),
        { numRuns: 300 },
      );
    });
  });
});
