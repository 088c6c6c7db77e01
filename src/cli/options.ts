/**
 * Option parsers for commander: each returns the value or throws commander's
 * InvalidArgumentError, which commander reports as a usage error (exit 1).
 */
import { InvalidArgumentError } from 'commander';
import { parseSize } from '../device/units.js';

/** A whole number ≥ `min`. */
export function integerOption(min: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}`);
    return n;
  };
}

/** A byte count such as `4k`, `256K`, `1G`, `1048576` (k, M, G are powers of 1024), at least 1. */
export function sizeOption(text: string): number {
  let n: number;
  try {
    n = parseSize(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  if (n < 1) throw new InvalidArgumentError('expected at least one byte');
  return n;
}

/** A duration: `10s`, `500ms`, `2m`, `1h`, or plain seconds (`10`, `0.5`); returned in ms. */
export function durationOption(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (m === null) throw new InvalidArgumentError('expected a duration such as 10s, 500ms or 2m');
  const factor: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const ms = Number(m[1]) * factor[(m[2] ?? 's').toLowerCase()];
  if (!(ms > 0)) throw new InvalidArgumentError('expected a positive duration');
  return ms;
}

/** A percentage 0..100. */
export function percentOption(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !(n >= 0 && n <= 100)) throw new InvalidArgumentError('expected a percentage from 0 to 100');
  return n;
}

/** `one|two|three` → the value when it is one of `choices`. */
export function choiceOption<T extends string>(choices: readonly T[]): (text: string) => T {
  return (text) => {
    if (!(choices as readonly string[]).includes(text)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return text as T;
  };
}

/** Bytes in the style of nbdinfo: `67108864` → `64M`, `1610612736` → `1.5G`. */
export function humanSize(bytes: number | bigint): string {
  const suffixes = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  let value = Number(bytes);
  let i = 0;
  while (value >= 1024 && i < suffixes.length - 1) {
    value /= 1024;
    i++;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return i === 0 ? `${text}` : `${text}${suffixes[i]}`;
}
