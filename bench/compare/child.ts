/**
 * Runs a command as a child process and collects what it printed, its wall
 * clock and (through bash's `times`) the CPU its process tree used.
 */
import { spawn } from 'node:child_process';

export interface ChildResult {
  stdout: string;
  stderr: string;
  /** Wall clock from spawn to exit, seconds. */
  seconds: number;
  /** User + system CPU seconds of the command (its children included), when measured. */
  cpuSeconds: number | undefined;
}

/**
 * @param options.env The child's environment; the parent's by default.
 * @param measureCpu Run through `bash -c 'cmd; times'` and read the children's CPU from the last line.
 * @throws When the command exits non-zero: the message holds the tail of its stderr.
 */
export function runChild(
  command: string,
  args: readonly string[],
  options: { measureCpu?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildResult> {
  const [file, argv] = options.measureCpu
    ? ['bash', ['-c', '"$@"; rc=$?; times; exit $rc', 'bash', command, ...args]]
    : [command, [...args]];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr.slice(-2000)}`));
        return;
      }
      let cpuSeconds: number | undefined;
      if (options.measureCpu) {
        // `times` prints the shell's own times, then its children's: "0m1.234s 0m0.567s".
        const lines = stdout.trimEnd().split('\n');
        const children = lines.pop() ?? '';
        lines.pop();
        stdout = lines.join('\n');
        cpuSeconds = children.split(/\s+/).reduce((sum, t) => sum + parseTimes(t), 0);
      }
      resolve({ stdout, stderr, seconds, cpuSeconds });
    });
  });
}

function parseTimes(t: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(t);
  return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
}
