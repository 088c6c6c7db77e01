import { expect } from 'chai';
import { Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FrameDecoder, FramePart } from '../../src/core/codec.js';
import { FrameTooLargeError, ProtocolError, RxbridgeError } from '../../src/core/errors.js';
import { frame } from '../../operators/frame.js';
import { encodeToyFrame, encodeToyHeader, ToyDecoder, toyHeader, type ToyHeader } from '../helpers/toyCodec.js';

type Part = FramePart<ToyHeader>;

function part(tag: number, final: boolean, payload: string, length = payload.length, offset = 0, last = true): Part {
  return { header: toyHeader(tag, final, length), payload: Buffer.from(payload), offset, last };
}

/** Runs `frame` synchronously over `chunks`; copies payloads during emission, as consumers must. */
function collect(chunks: Buffer[], decoder: FrameDecoder<ToyHeader> = new ToyDecoder(), sliceAbove?: number) {
  const parts: Part[] = [];
  let error: unknown;
  let completed = false;
  new Observable<Buffer>((s) => {
    for (const chunk of chunks) s.next(chunk);
    s.complete();
  })
    .pipe(frame(decoder, { sliceAbove }))
    .subscribe({
      next: (p) => parts.push({ ...p, payload: Buffer.from(p.payload) }),
      error: (e) => (error = e),
      complete: () => (completed = true),
    });
  return { parts, error, completed };
}

describe('frame', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).to.deep.equal(expected));
  });

  it('emits one part per frame, several frames per chunk', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const ab = Buffer.concat([encodeToyFrame(1, true, Buffer.from('abc')), encodeToyFrame(2, false, Buffer.from('de'))]);
      const source = hot('--a----|', { a: ab });
      const sub = '       ^------!';
      const expected = '  --(xy)-|';
      expectObservable(source.pipe(frame(new ToyDecoder()))).toBe(expected, {
        x: part(1, true, 'abc'),
        y: part(2, false, 'de'),
      });
      expectSubscriptions(source.subscriptions).toBe(sub);
    });
  });

  it('reassembles headers and small payloads split across chunks', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const f = encodeToyFrame(7, true, Buffer.from('hello'), Buffer.from([9, 9, 9]));
      const source = hot('-a-b-c-|', { a: f.subarray(0, 1), b: f.subarray(1, 16), c: f.subarray(16) });
      expectObservable(source.pipe(frame(new ToyDecoder()))).toBe('-----x-|', {
        x: { header: toyHeader(7, true, 5, Buffer.from([9, 9, 9])), payload: Buffer.from('hello'), offset: 0, last: true },
      });
    });
  });

  it('emits a header-only frame as one empty, last part', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('-a-|', { a: encodeToyFrame(3, true, Buffer.alloc(0)) });
      expectObservable(source.pipe(frame(new ToyDecoder()))).toBe('-x-|', { x: part(3, true, '') });
    });
  });

  it('emits a payload above sliceAbove as slices with offsets', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const f = encodeToyFrame(4, true, Buffer.from('0123456789'));
      const source = hot('-a-b-c-|', { a: f.subarray(0, 13), b: f.subarray(13, 14), c: f.subarray(14) });
      expectObservable(source.pipe(frame(new ToyDecoder(), { sliceAbove: 4 }))).toBe('-x-y-z-|', {
        x: part(4, true, '012', 10, 0, false),
        y: part(4, true, '3', 10, 3, false),
        z: part(4, true, '456789', 10, 4, true),
      });
    });
  });

  it('passes source errors through', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-#', { a: encodeToyFrame(1, true, Buffer.from('x')) });
      expectObservable(source.pipe(frame(new ToyDecoder()))).toBe('-x-#', { x: part(1, true, 'x') });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('errors with RXB_TRUNCATED when the source completes mid-frame', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const f = encodeToyFrame(1, true, Buffer.from('xyz'));
      const source = hot('-a-|', { a: f.subarray(0, f.length - 1) });
      expectObservable(source.pipe(frame(new ToyDecoder()))).toBe(
        '---#',
        undefined,
        new ProtocolError('the peer closed in the middle of a frame', 'RXB_TRUNCATED'),
      );
    });
  });

  it('errors with RXB_TRUNCATED when the source completes mid-header', () => {
    const { error } = collect([encodeToyHeader(1, true, 0).subarray(0, 1)]);
    expect(error).to.be.instanceOf(ProtocolError).with.property('code', 'RXB_TRUNCATED');
  });

  it('errors with FrameTooLargeError and unsubscribes from the source', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-|', { a: encodeToyFrame(1, true, Buffer.from('ok')), b: encodeToyHeader(2, true, 101) });
      expectObservable(source.pipe(frame(new ToyDecoder(100)))).toBe('-x-#', { x: part(1, true, 'ok') }, new FrameTooLargeError(101, 100));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('passes a ProtocolError from the decoder through as is', () => {
    const { error } = collect([Buffer.from([0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0])]);
    expect(error).to.be.instanceOf(ProtocolError).with.property('code', 'RXB_PROTOCOL');
  });

  it('turns any other decoder throw into an error notification', () => {
    const boom = new TypeError('boom');
    const decoder: FrameDecoder<ToyHeader> = Object.assign(new ToyDecoder(), {
      decodeHeader(): ToyHeader {
        throw boom;
      },
    });
    const { error, parts } = collect([encodeToyFrame(1, true, Buffer.from('a'))], decoder);
    expect(parts).to.deep.equal([]);
    expect(error).to.be.instanceOf(RxbridgeError).with.property('cause', boom);
  });

  it('rejects a header length shorter than the prefix', () => {
    const decoder = Object.assign(new ToyDecoder(), { headerLength: () => 1 });
    const { error } = collect([encodeToyFrame(1, true, Buffer.from('a'))], decoder);
    expect(error).to.be.instanceOf(ProtocolError).with.property('code', 'RXB_PROTOCOL');
  });

  it('stops after early unsubscription', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const f = (tag: number) => encodeToyFrame(tag, true, Buffer.from('p'));
      const source = hot('-a-b-c-|', { a: f(1), b: f(2), c: f(3) });
      const unsub = '     ----!';
      expectObservable(source.pipe(frame(new ToyDecoder())), unsub).toBe('-x-y', { x: part(1, true, 'p'), y: part(2, true, 'p') });
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('stops parsing a chunk when the consumer unsubscribes during an emission', () => {
    const source = new Subject<Buffer>();
    const seen: number[] = [];
    const subscription = source.pipe(frame(new ToyDecoder())).subscribe((p) => {
      seen.push(p.header.tag);
      subscription?.unsubscribe();
    });
    source.next(Buffer.concat([encodeToyFrame(1, true, Buffer.alloc(1)), encodeToyFrame(2, true, Buffer.alloc(1))]));
    expect(seen).to.deep.equal([1]);
    expect(source.observed).to.equal(false);
  });

  it('ignores further chunks of a synchronous source after an error', () => {
    const { error, parts } = collect([encodeToyHeader(1, true, 1 << 30), encodeToyFrame(2, true, Buffer.from('late'))]);
    expect(error).to.be.instanceOf(FrameTooLargeError);
    expect(parts).to.deep.equal([]);
  });

  it('slices large payloads out of the received chunk without copying', () => {
    const chunk = encodeToyFrame(5, true, Buffer.alloc(100, 7));
    const seen: boolean[] = [];
    new Observable<Buffer>((s) => s.next(chunk))
      .pipe(frame(new ToyDecoder(), { sliceAbove: 10 }))
      .subscribe((p) => seen.push(p.payload.buffer === chunk.buffer && p.payload.byteOffset === chunk.byteOffset + 10));
    expect(seen).to.deep.equal([true]);
  });

  it('rejects a negative sliceAbove', () => {
    expect(() => frame(new ToyDecoder(), { sliceAbove: -1 })).to.throw(RxbridgeError);
  });

  it('yields the same frames whatever byte a fixed stream is split at', () => {
    const frames: Array<[number, boolean, Buffer, Buffer?]> = [
      [1, true, Buffer.from('small')],
      [2, false, Buffer.alloc(0)],
      [3, true, Buffer.alloc(40, 0x33), Buffer.from([1, 2, 3, 4, 5])],
      [4, true, Buffer.from('tail'), Buffer.alloc(0)],
    ];
    const stream = Buffer.concat(frames.map(([tag, final, payload, ext]) => encodeToyFrame(tag, final, payload, ext)));
    const expected = frames.map(([tag, final, payload, ext]) => ({ tag, final, ext: Buffer.from(ext ?? []), payload }));
    const reassemble = (parts: Part[]) => {
      const out: Array<{ tag: number; final: boolean; ext: Buffer; payload: Buffer }> = [];
      let pieces: Buffer[] = [];
      for (const p of parts) {
        expect(p.offset).to.equal(pieces.reduce((n, b) => n + b.length, 0));
        pieces.push(p.payload);
        if (p.last) {
          out.push({ tag: p.header.tag, final: p.header.final, ext: p.header.extension, payload: Buffer.concat(pieces) });
          pieces = [];
        }
      }
      return out;
    };
    for (const sliceAbove of [8, 16 * 1024]) {
      for (let at = 0; at <= stream.length; at++) {
        const { parts, error, completed } = collect([stream.subarray(0, at), stream.subarray(at)], undefined, sliceAbove);
        expect(error, `split at ${at}`).to.equal(undefined);
        expect(completed).to.equal(true);
        expect(reassemble(parts), `split at ${at}`).to.deep.equal(expected);
      }
      const bytes = Array.from(stream, (_, i) => stream.subarray(i, i + 1));
      expect(reassemble(collect(bytes, undefined, sliceAbove).parts)).to.deep.equal(expected);
    }
  });
});
