import { InvalidArgumentError } from '../../core/errors.js';

/**
 * When to try again after the connection was lost: the delay before attempt
 * `attempt` (1, 2, …) in ms, or null to give up. Like ioredis's retryStrategy.
 */
export type ReconnectStrategy = (attempt: number, error: Error) => number | null;

export interface ReconnectOptions {
  /** First delay; doubled on each failed attempt. Default 100 ms. */
  delayMs?: number;
  /** Longest delay between attempts. Default 2000 ms. */
  maxDelayMs?: number;
  /** After this long without a connection everything pending fails (RXB_RECONNECT_GAVE_UP). Default 30000 ms. */
  giveUpAfterMs?: number;
}

export interface ResolvedReconnect {
  strategy: ReconnectStrategy;
  giveUpAfterMs: number;
}

/** Turns the `reconnect` option into a strategy and a deadline. */
export function resolveReconnect(option: ReconnectOptions | ReconnectStrategy | true): ResolvedReconnect {
  if (typeof option === 'function') return { strategy: option, giveUpAfterMs: Infinity };
  const o = option === true ? {} : option;
  const delay = o.delayMs ?? 100;
  const max = o.maxDelayMs ?? 2000;
  const giveUpAfterMs = o.giveUpAfterMs ?? 30_000;
  if (!(delay >= 0) || !(max >= delay) || !(giveUpAfterMs > 0)) {
    throw new InvalidArgumentError('reconnect needs 0 <= delayMs <= maxDelayMs and giveUpAfterMs > 0');
  }
  return { strategy: (attempt) => Math.min(max, delay * 2 ** (attempt - 1)), giveUpAfterMs };
}
