import { expect } from 'chai';
import { ProtocolError, RxbridgeError } from '../../src/core/errors.js';
import {
  NbdError,
  NbdHandshakeError,
  NbdOptionError,
  errnoName,
  isOptionErrorReply,
  optionErrorCode,
  optionName,
} from '../../src/nbd/errors.js';

describe('nbd/errors', () => {
  describe('NbdError', () => {
    it('names known errnos in its code and message', () => {
      const err = new NbdError(5);
      expect(err).to.be.instanceOf(RxbridgeError);
      expect(err.code).to.equal('NBD_EIO');
      expect(err.errno).to.equal(5);
      expect(err.errnoName).to.equal('EIO');
      expect(err.name).to.equal('NbdError');
      expect(err.message).to.equal('NBD server error EIO (errno 5)');
      expect(err.serverMessage).to.equal(undefined);
      expect(err.offset).to.equal(undefined);
    });

    it('treats an unknown errno as EINVAL but keeps the raw number', () => {
      const err = new NbdError(42);
      expect(err.code).to.equal('NBD_EINVAL');
      expect(err.errno).to.equal(42);
      expect(err.message).to.contain('42').and.contain('treated as EINVAL');
    });

    it('carries the server message and offset', () => {
      const err = new NbdError(28, 'disk full', 4096n);
      expect(err.code).to.equal('NBD_ENOSPC');
      expect(err.serverMessage).to.equal('disk full');
      expect(err.offset).to.equal(4096n);
      expect(err.message).to.equal('NBD server error ENOSPC (errno 28) at offset 4096: disk full');
    });

    it('maps every errno NBD defines', () => {
      const names = { 1: 'EPERM', 5: 'EIO', 12: 'ENOMEM', 22: 'EINVAL', 28: 'ENOSPC', 75: 'EOVERFLOW', 95: 'ENOTSUP', 108: 'ESHUTDOWN' };
      for (const [errno, name] of Object.entries(names)) {
        expect(new NbdError(Number(errno)).code).to.equal(`NBD_${name}`);
        expect(errnoName(Number(errno))).to.equal(name);
      }
      expect(errnoName(0)).to.equal('EINVAL');
    });
  });

  describe('NbdOptionError', () => {
    it('codes each error reply type', () => {
      const codes = ['UNSUP', 'POLICY', 'INVALID', 'PLATFORM', 'TLS_REQD', 'UNKNOWN', 'SHUTDOWN', 'BLOCK_SIZE_REQD', 'TOO_BIG'];
      codes.forEach((name, i) => expect(optionErrorCode(0x80000001 + i)).to.equal(`NBD_OPT_${name}`));
      expect(optionErrorCode(0x80000064)).to.equal('NBD_OPT_ERROR');
    });

    it('keeps the option, reply type and server message', () => {
      const err = new NbdOptionError(7, 0x80000006, 'no such export');
      expect(err).to.be.instanceOf(RxbridgeError);
      expect(err.code).to.equal('NBD_OPT_UNKNOWN');
      expect(err.option).to.equal(7);
      expect(err.replyType).to.equal(0x80000006);
      expect(err.serverMessage).to.equal('no such export');
      expect(err.message).to.equal('server refused NBD_OPT_GO: UNKNOWN: no such export');
    });

    it('describes undefined error types and options by number', () => {
      const err = new NbdOptionError(99, 0x80000064);
      expect(err.code).to.equal('NBD_OPT_ERROR');
      expect(err.serverMessage).to.equal('');
      expect(err.message).to.equal('server refused option 99: error reply 0x80000064');
      expect(optionName(8)).to.equal('NBD_OPT_STRUCTURED_REPLY');
    });

    it('tells error replies by bit 31', () => {
      expect(isOptionErrorReply(1)).to.equal(false);
      expect(isOptionErrorReply(4)).to.equal(false);
      expect(isOptionErrorReply(0x80000001)).to.equal(true);
      expect(isOptionErrorReply(0xffffffff)).to.equal(true);
    });
  });

  describe('NbdHandshakeError', () => {
    it('is a ProtocolError with code NBD_HANDSHAKE by default', () => {
      const err = new NbdHandshakeError('bad magic');
      expect(err).to.be.instanceOf(ProtocolError);
      expect(err.code).to.equal('NBD_HANDSHAKE');
      expect(err.option).to.equal(undefined);
    });

    it('takes another code and the option concerned', () => {
      const err = new NbdHandshakeError('too big', 'NBD_OPTION_TOO_BIG', 7);
      expect(err.code).to.equal('NBD_OPTION_TOO_BIG');
      expect(err.option).to.equal(7);
    });
  });
});
