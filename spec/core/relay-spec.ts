import { expect } from 'chai';
import { take } from 'rxjs';
import { Relay } from '../../src/core/relay.js';

describe('Relay', () => {
  it('hands each value to every current subscriber, in subscription order', () => {
    const relay = new Relay<number>();
    const seen: string[] = [];
    relay.subscribe((v) => seen.push(`a${v}`));
    relay.next(1);
    relay.subscribe((v) => seen.push(`b${v}`));
    relay.next(2);
    expect(seen).to.deep.equal(['a1', 'a2', 'b2']);
  });

  it('says whether anyone listens, and forgets subscribers that leave, also in the middle of a next', () => {
    const relay = new Relay<number>();
    expect(relay.observed).to.equal(false);
    const seen: string[] = [];
    const first = relay.pipe(take(1)).subscribe((v) => seen.push(`once${v}`));
    const second = relay.subscribe((v) => seen.push(`all${v}`));
    expect(relay.observed).to.equal(true);
    relay.next(1); // `first` leaves during this next; `second` still gets the value
    relay.next(2);
    expect(first.closed).to.equal(true);
    expect(seen).to.deep.equal(['once1', 'all1', 'all2']);
    second.unsubscribe();
    expect(relay.observed).to.equal(false);
    relay.next(3);
    expect(seen).to.have.length(3);
  });
});
