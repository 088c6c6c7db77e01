import { InvalidArgumentError } from '../core/errors.js';

const BINARY: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };
const DECIMAL: Readonly<Record<string, number>> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15, e: 1e18 };

/**
 * Parses a size: a plain byte count (`1048576`) or a number with a suffix.
 * Disk-size conventions (nbdkit, qemu-img): `4k`, `512M`, `1G` and `1GiB` are
 * powers of 1024; `1GB` (with a bare `B`) is a power of 1000; `s` is 512-byte
 * sectors. The result must be a whole number of bytes no larger than 2^53.
 */
export function parseSize(text: string | number): number {
  if (typeof text === 'number') return checkSize(text, String(text));
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgtpe])(i?b?)|(s)|(b)?)\s*$/i.exec(text);
  if (m === null) throw new InvalidArgumentError(`cannot parse size ${JSON.stringify(text)}`);
  const value = Number(m[1]);
  let factor = 1;
  if (m[2] !== undefined) {
    const prefix = m[2].toLowerCase();
    factor = m[3].toLowerCase() === 'b' ? DECIMAL[prefix] : BINARY[prefix];
  } else if (m[4] !== undefined) {
    factor = 512;
  }
  return checkSize(value * factor, text);
}

function checkSize(n: number, text: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`size ${JSON.stringify(text)} is not a whole number of bytes up to 2^53`);
  return n;
}

/**
 * Parses a rate in bytes per second: `unlimited` (or `inf`) is Infinity; a plain
 * number is bytes/s; `110MB/s`, `1.1GB/s`, `100MiB/s` are bytes (decimal unless
 * `iB`); `1Gbit`, `1Gbit/s`, `1Gbps`, `100Mb/s` are bits (decimal), divided by 8.
 */
export function parseRate(text: string | number): number {
  if (typeof text === 'number') {
    if (!(text > 0)) throw new InvalidArgumentError(`rate must be positive, got ${text}`);
    return text;
  }
  const t = text.trim();
  if (/^(unlimited|inf(inity)?|none)$/i.test(t)) return Infinity;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?)(bit|bps|b|B|)(\/s|ps)?$/i.exec(t);
  if (m === null) throw new InvalidArgumentError(`cannot parse rate ${JSON.stringify(text)}`);
  const [, num, prefixRaw, binary, unitRaw, perSecond] = m;
  const prefix = prefixRaw.toLowerCase();
  // 'b' lower-case and 'bit'/'bps' are bits; 'B' (or nothing) is bytes.
  const bits = unitRaw === 'b' || /^(bit|bps)$/i.test(unitRaw);
  if (perSecond !== undefined && /^bps$/i.test(unitRaw)) throw new InvalidArgumentError(`cannot parse rate ${JSON.stringify(text)}`);
  const factor = binary !== '' ? BINARY[prefix] : DECIMAL[prefix];
  const value = (Number(num) * factor) / (bits ? 8 : 1);
  if (!(value > 0)) throw new InvalidArgumentError(`rate must be positive, got ${JSON.stringify(text)}`);
  return value;
}

/** Formats bytes/s for messages: `110 MB/s`, `unlimited`. */
export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond === Infinity) return 'unlimited';
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'];
  let v = bytesPerSecond;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))} ${units[i]}`;
}
