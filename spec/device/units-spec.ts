import { expect } from 'chai';
import { formatRate, parseRate, parseSize } from '../../src/device/units.js';

describe('parseSize', () => {
  it('reads plain numbers and binary suffixes', () => {
    expect(parseSize('1048576')).to.equal(1048576);
    expect(parseSize('4k')).to.equal(4096);
    expect(parseSize('512M')).to.equal(512 * 2 ** 20);
    expect(parseSize('1G')).to.equal(2 ** 30);
    expect(parseSize('1GiB')).to.equal(2 ** 30);
    expect(parseSize('2T')).to.equal(2 * 2 ** 40);
    expect(parseSize('1.5k')).to.equal(1536);
    expect(parseSize('8s')).to.equal(4096);
    expect(parseSize(77)).to.equal(77);
  });
  it('reads decimal suffixes with a bare B', () => {
    expect(parseSize('1GB')).to.equal(1e9);
    expect(parseSize('10kB')).to.equal(1e4);
  });
  it('rejects garbage, fractions of bytes and sizes past 2^53', () => {
    expect(() => parseSize('abc')).to.throw(/cannot parse/);
    expect(() => parseSize('1.3')).to.throw(/whole number/);
    expect(() => parseSize('9E')).to.throw(/2\^53/);
    expect(() => parseSize('-1')).to.throw();
  });
});

describe('parseRate', () => {
  it('reads bytes per second', () => {
    expect(parseRate('110MB/s')).to.equal(110e6);
    expect(parseRate('1.1GB/s')).to.equal(1.1e9);
    expect(parseRate('100MiB/s')).to.equal(100 * 2 ** 20);
    expect(parseRate('5000')).to.equal(5000);
    expect(parseRate(42)).to.equal(42);
  });
  it('reads bits per second', () => {
    expect(parseRate('1Gbit')).to.equal(125e6);
    expect(parseRate('1Gbit/s')).to.equal(125e6);
    expect(parseRate('10Gbps')).to.equal(1.25e9);
    expect(parseRate('100Mb/s')).to.equal(12.5e6);
  });
  it('reads unlimited', () => {
    expect(parseRate('unlimited')).to.equal(Infinity);
    expect(parseRate('Infinity')).to.equal(Infinity);
  });
  it('rejects garbage and zero', () => {
    expect(() => parseRate('fast')).to.throw(/cannot parse/);
    expect(() => parseRate('0MB/s')).to.throw(/positive/);
    expect(() => parseRate(0)).to.throw(/positive/);
  });
  it('formats rates', () => {
    expect(formatRate(110e6)).to.equal('110 MB/s');
    expect(formatRate(Infinity)).to.equal('unlimited');
    expect(formatRate(999)).to.equal('999 B/s');
  });
});
