/**
 * Real peers for interop specs and benchmarks: servers started here on
 * 127.0.0.1, waited for, and stopped by PID. A missing tool is an error
 * that names the Debian package, never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface RunningPeer {
  readonly pid: number;
  readonly port: number;
  readonly uri: string;
  /** What the server wrote on stderr so far (e.g. nbdkit's error filter logs each error it injects). */
  stderr(): string;
  stop(): Promise<void>;
}

const PACKAGE_OF: Record<string, string> = {
  nbdkit: 'nbdkit',
  'qemu-nbd': 'qemu-utils',
  'qemu-img': 'qemu-utils',
  nbdinfo: 'libnbd-bin',
  nbdcopy: 'libnbd-bin',
  nbdsh: 'python3-libnbd',
  fio: 'fio',
  openssl: 'openssl',
  chromium: 'chromium',
  ss: 'iproute2',
};

/** Throws a clear error when a peer tool is not installed. */
export function requireTool(tool: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(`${tool} is not installed: apt-get install ${PACKAGE_OF[tool] ?? tool} (see README, interop specs)`);
  }
}

/** A port that was free a moment ago (the kernel picked it for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once the server on the port is listening. The probe reads the
 * server's greeting before it closes, so the close is a FIN: closing with
 * unread bytes would be a reset, which nbdkit logs as an error on its first
 * connection ("reading initial client flags: conn->recv: Connection reset").
 */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before listening`);
    if (await probeGreeting(port, Math.max(100, deadline - Date.now()))) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * true once a connection is accepted and the server has spoken (or closed);
 * false if refused. After the greeting the probe ends its side and resolves
 * at once; the socket closes when the server closes its own (or the timer
 * destroys it, its bytes all read).
 */
function probeGreeting(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let connected = false;
    const s = net.connect({ host: '127.0.0.1', port }, () => (connected = true));
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    timer.unref();
    s.once('data', () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => undefined);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(connected);
    });
    s.resume();
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      process.kill(child.pid!, 'SIGTERM');
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
      }, 3000).unref();
    });
}

async function startServer(tool: string, args: (port: number) => string[], exportPath = ''): Promise<RunningPeer> {
  requireTool(tool);
  const port = await freePort();
  const child = spawn(tool, args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  try {
    await waitForPort(port, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${tool} did not start: ${(err as Error).message}\n${stderr}`);
  }
  return { pid: child.pid!, port, uri: `nbd://127.0.0.1:${port}/${exportPath}`, stderr: () => stderr, stop: stopper(child) };
}

/**
 * nbdkit in the foreground on 127.0.0.1. `plugin` and `filters` as on its
 * command line, e.g. `['memory', '1G']`, filters `['delay']` with
 * `['rdelay=1ms']` in pluginArgs.
 */
export function startNbdkit(pluginArgs: string[], options: { filters?: string[]; threads?: number; extra?: string[] } = {}): Promise<RunningPeer> {
  return startServer('nbdkit', (port) => [
    '-f', '--exit-with-parent', '-i', '127.0.0.1', '-p', String(port),
    ...(options.threads ? ['-t', String(options.threads)] : []),
    ...(options.filters ?? []).map((f) => `--filter=${f}`),
    ...(options.extra ?? []),
    ...pluginArgs,
  ]);
}

/** qemu-nbd serving a raw file on 127.0.0.1, persistent, up to 8 clients. */
export function startQemuNbd(file: string, exportName = ''): Promise<RunningPeer> {
  return startServer(
    'qemu-nbd',
    (port) => ['-f', 'raw', '-b', '127.0.0.1', '-p', String(port), '-t', '-e', '8', ...(exportName ? ['-x', exportName] : []), file],
    exportName,
  );
}
