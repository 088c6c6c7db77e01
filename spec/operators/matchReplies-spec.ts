import { expect } from 'chai';
import { Observable, catchError, map, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FrameHeader, FramePart } from '../../src/core/codec.js';
import { matchReplies, type ReplyEvent } from '../../operators/matchReplies.js';

interface Req { readonly tag: number }

const part = (tag: number, final = true, last = true): FramePart<FrameHeader> => ({
  header: { tag, final },
  payload: Buffer.alloc(0),
  offset: 0,
  last,
});

/** Turns reply events into short strings for marble comparison: 'p1', 'P1' (done), 'f1:CODE'. */
const label = (e: ReplyEvent<FrameHeader, Req>): string =>
  e.kind === 'part'
    ? `${e.part.header.final && e.part.last ? 'P' : 'p'}${e.record.tag}`
    : `f${e.record.tag}:${(e.error as { code?: string }).code}`;

describe('matchReplies', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).to.deep.equal(expected));
  });

  const reqs = { a: { tag: 1 }, b: { tag: 2 }, c: { tag: 3 } };
  const parts = { x: part(1), y: part(2), z: part(2, false), w: part(3, true, false), v: part(3) };

  it('routes replies in any order and multi-part replies to their requests', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const requests = hot('-a-b-c--------', reqs);
      const replies = hot('  ----z-y-w-x-v-|', parts);
      const out = replies.pipe(matchReplies(requests));
      const labels = { z: 'p2', y: 'P2', w: 'p3', x: 'P1', v: 'P3' };
      expectObservable(out.pipe(mapLabel())).toBe('----z-y-w-x-v-|', labels);
      expectSubscriptions(replies.subscriptions).toBe('^-------------!');
    });
  });

  it('errors with a coded protocol error on a reply for an unknown tag, failing every pending request', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const requests = hot('-a-b----', reqs);
      const replies = hot('  ----x-v-', parts);
      const out = replies.pipe(matchReplies(requests), mapLabel());
      expectObservable(out).toBe('----x-(f#)', { x: 'P1', f: 'f2:RXB_UNKNOWN_TAG' }, 'RXB_UNKNOWN_TAG');
    });
  });

  it('fails every pending request with the cause when the reply stream errors', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const requests = hot('-a-b--', reqs);
      const failing = hot('   ----#', parts, new Error('boom'));
      expectObservable(failing.pipe(matchReplies(requests), mapLabel())).toBe(
        '----(ab#)', { a: 'f1:RXB_INTERNAL', b: 'f2:RXB_INTERNAL' }, 'RXB_INTERNAL',
      );
    });
  });

  it('fails pending requests with a connection-closed error when the reply stream completes', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const requests = hot('-a-b-----c', reqs);
      const ending = hot('    ----x-|', parts);
      expectObservable(ending.pipe(matchReplies(requests), mapLabel())).toBe(
        '----x-(b|)', { x: 'P1', b: 'f2:RXB_CONNECTION_CLOSED' },
      );
    });
  });

  it('times a request out, then reads and drops its late reply; the timer is cleared on completion', () => {
    scheduler.run(({ hot, expectObservable, time }) => {
      const t = time('---|');
      const requests = hot('-a-b----------', reqs);
      const replies = hot('  --x-------y---', parts);
      const out = replies.pipe(matchReplies(requests, { timeoutMs: t, scheduler }), mapLabel());
      // a completes at 2 before its timeout; b times out at 3+3=6; its late reply at 10 is dropped.
      expectObservable(out).toBe('--x---f-------', { x: 'P1', f: 'f2:RXB_TIMEOUT' });
    });
  });

  it('unsubscribes from both inputs and leaves no timer on early unsubscription', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions, time }) => {
      const requests = hot('-a-b-----', reqs);
      const replies = hot('  ----x----', parts);
      const t = time('----------|');
      const out = replies.pipe(matchReplies(requests, { timeoutMs: t, scheduler }), mapLabel());
      expectObservable(out, '^----!').toBe('----x', { x: 'P1' });
      expectSubscriptions(replies.subscriptions).toBe('^----!');
      expectSubscriptions(requests.subscriptions).toBe('^----!');
    });
    // flush ran to the end: had the timer for b survived, it would have emitted into a closed subscriber.
    expect(scheduler.actions.length).to.equal(0);
  });
});

function mapLabel() {
  return (source: Observable<ReplyEvent<FrameHeader, Req>>) =>
    source.pipe(
      map(label),
      catchError((e: { code?: string }) => throwError(() => e.code)),
    );
}
