/**
 * Progress of a long command on stderr: a cli-progress bar on a terminal, a
 * plain line per second elsewhere (logs, pipes), nothing when disabled.
 */
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import type { CliIo } from './cliContext.js';
import { humanSize } from './options.js';

export interface Progress {
  /** Bytes done so far (cheap: rendering is throttled). */
  update(done: number): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update() {}, stop() {} };

/**
 * @param total Bytes expected, or undefined when unknown (a stream).
 * @param enabled False gives a progress that prints nothing.
 */
export function createProgress(io: CliIo, total: number | undefined, enabled: boolean): Progress {
  if (!enabled) return NO_PROGRESS;
  const started = performance.now();
  let done = 0;
  const rate = () => `${((done / 1e6) / Math.max((performance.now() - started) / 1000, 1e-3)).toFixed(0)} MB/s`;

  if (io.stderr.isTTY && total !== undefined) {
    // Loaded here, for a terminal only: every copy would otherwise pay for it at start-up.
    const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
    const bar = new cliProgress.SingleBar(
      { stream: io.stderr, format: ' {bar} {percentage}% | {doneH} of {totalH} | {rate} | ETA {eta_formatted}', hideCursor: true, fps: 10 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { doneH: '0', totalH: humanSize(total), rate: '' });
    return {
      update(n) {
        done = n;
        bar.update(n, { doneH: humanSize(n), rate: rate() });
      },
      stop() {
        bar.update(done, { doneH: humanSize(done), rate: rate() });
        bar.stop();
      },
    };
  }

  const line = () => {
    const pct = total ? ` (${((100 * done) / total).toFixed(1)}%)` : '';
    io.stderr.write(`copied ${humanSize(done)}${total !== undefined ? ` of ${humanSize(total)}` : ''}${pct}, ${rate()}\n`);
  };
  const timer = setInterval(line, 1000);
  return {
    update(n) {
      done = n;
    },
    stop() {
      clearInterval(timer);
      line();
    },
  };
}
