import { expect } from 'chai';
import { InvalidArgumentError } from 'commander';
import { choiceOption, durationOption, humanSize, integerOption, percentOption, sizeOption } from '../../src/cli/options.js';

describe('cli options', () => {
  it('parses sizes with binary suffixes and refuses nonsense and zero', () => {
    expect(sizeOption('4k')).to.equal(4096);
    expect(sizeOption('256K')).to.equal(262144);
    expect(sizeOption('1G')).to.equal(2 ** 30);
    expect(sizeOption('100000')).to.equal(100000);
    expect(() => sizeOption('lots')).to.throw(InvalidArgumentError);
    expect(() => sizeOption('0')).to.throw(InvalidArgumentError);
  });

  it('parses durations into milliseconds', () => {
    expect(durationOption('10s')).to.equal(10_000);
    expect(durationOption('500ms')).to.equal(500);
    expect(durationOption('2m')).to.equal(120_000);
    expect(durationOption('1.5')).to.equal(1500);
    expect(() => durationOption('0s')).to.throw(InvalidArgumentError);
    expect(() => durationOption('soon')).to.throw(InvalidArgumentError);
  });

  it('parses whole numbers, percentages and choices', () => {
    expect(integerOption(1)('32')).to.equal(32);
    expect(() => integerOption(1)('0')).to.throw(InvalidArgumentError);
    expect(() => integerOption(1)('1.5')).to.throw(InvalidArgumentError);
    expect(percentOption('70')).to.equal(70);
    expect(() => percentOption('101')).to.throw(InvalidArgumentError);
    expect(choiceOption(['a', 'b'])('b')).to.equal('b');
    expect(() => choiceOption(['a', 'b'])('c')).to.throw(InvalidArgumentError);
  });

  it('prints sizes like nbdinfo', () => {
    expect(humanSize(512)).to.equal('512');
    expect(humanSize(64 * 2 ** 20)).to.equal('64M');
    expect(humanSize(1n << 30n)).to.equal('1G');
    expect(humanSize(3 * 2 ** 29)).to.equal('1.5G');
  });
});
