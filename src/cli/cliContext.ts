/**
 * What every `rxbridge` command gets: the process streams (replaceable, so
 * specs run commands in-process with captured output) and a slot for the exit
 * code. A command module registers itself with a {@link RegisterCommand}.
 */
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';

export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
}

export interface CliContext {
  readonly io: CliIo;
  /** The exit code `main` returns; set by {@link action}. */
  exitCode: number;
}

/** Adds one command (with its options and action) to the program. */
export type RegisterCommand = (program: Command, context: CliContext) => void;

/** The real process streams. */
export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

/**
 * Wraps a command's action: the number it resolves to becomes the exit code;
 * a throw is reported on stderr as `rxbridge NAME: message [CODE]` and exits 1.
 */
export function action<A extends unknown[]>(
  context: CliContext,
  name: string,
  run: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      context.exitCode = await run(...args);
    } catch (err) {
      context.io.stderr.write(`rxbridge ${name}: ${describeError(err)}\n`);
      context.exitCode = 1;
    }
  };
}

/** `message [CODE]`, with the cause's message when it adds something. */
export function describeError(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; cause?: { message?: unknown } } | undefined;
  let text = typeof e?.message === 'string' ? e.message : String(err);
  const cause = e?.cause?.message;
  if (typeof cause === 'string' && cause !== '' && !text.includes(cause)) text += `: ${cause}`;
  return typeof e?.code === 'string' ? `${text} [${e.code}]` : text;
}
