/**
 * Samples the kernel's view of the TCP connections on one port, a few times
 * a second, by running `ss -tinmH` (iproute2). This is how the lab sees bytes
 * that left our process but not the machine: Send-Q, bytes in flight, the
 * device side's Recv-Q when the device is local.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { asyncScheduler, Observable, timer, type SchedulerLike } from 'rxjs';
import { parseSsOutput, type SsSocket } from './ssParser.js';

export type { SsSocket, SsSkmem } from './ssParser.js';

export type SsEvent =
  /** One run of ss: every established connection with the port at either end (closing ones left over from earlier runs would only blur the picture). */
  | { readonly type: 'sample'; readonly timeMs: number; readonly sockets: readonly SsSocket[] }
  /** ss is missing or refused the query: emitted once, then the stream completes. */
  | { readonly type: 'unavailable'; readonly reason: string };

export interface SsSamplerOptions {
  /** The device's TCP port: both the client's socket (dport) and the device's (sport) are sampled. */
  port: number;
  /** Time between samples; default 250 ms. A run still going at the next tick makes that tick a no-op. */
  intervalMs?: number;
  scheduler?: SchedulerLike;
  /** Program and arguments to run instead of ss (specs); default `ss -tinmH state established '( sport = :PORT or dport = :PORT )'`. */
  command?: readonly string[];
  /** Clock for `timeMs`; default `performance.now`. */
  now?: () => number;
}

/**
 * Runs `ss` now and every `intervalMs`, emitting parsed samples.
 *
 * ```
 * ticks:   0----250----500----750-- …
 * result:  s-----s------s------s---- …   (s: { type: 'sample', sockets })
 * no ss:   (u|)                          (u: { type: 'unavailable' })
 * ```
 *
 * @example
 * sampleSocketStats({ port: 10809 }).subscribe((e) => {
 *   if (e.type === 'sample') console.log(kernelBytes(e.sockets, 10809).sendQ);
 * });
 * @param options The port to watch and how often.
 * @return A cold Observable; unsubscribing kills a running ss.
 */
export function sampleSocketStats(options: SsSamplerOptions): Observable<SsEvent> {
  const { port, intervalMs = 250, scheduler = asyncScheduler, now = () => performance.now() } = options;
  const command = options.command ?? ['ss', '-tinmH', 'state', 'established', `( sport = :${port} or dport = :${port} )`];
  return new Observable<SsEvent>((subscriber) => {
    let child: ChildProcess | undefined;

    const giveUp = (reason: string): void => {
      subscriber.next({ type: 'unavailable', reason });
      subscriber.complete();
    };

    const runOnce = (): void => {
      if (child !== undefined) return;
      const timeMs = now();
      const out: string[] = [];
      const err: string[] = [];
      let proc: ChildProcess;
      try {
        proc = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        giveUp(`cannot run ${command[0]}: ${(e as Error).message}`);
        return;
      }
      child = proc;
      proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
      proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));
      proc.on('error', (e: NodeJS.ErrnoException) => {
        child = undefined;
        giveUp(e.code === 'ENOENT' ? `${command[0]} not found (install iproute2 to see kernel socket queues)` : `cannot run ${command[0]}: ${e.message}`);
      });
      proc.on('close', (code, signal) => {
        if (child !== proc) return; // failed to start, or torn down
        child = undefined;
        if (code !== 0) {
          giveUp(`${command[0]} exited with ${code ?? signal}: ${err.join('').trim()}`);
          return;
        }
        let sockets: SsSocket[];
        try {
          sockets = parseSsOutput(out.join(''));
        } catch (e) {
          subscriber.error(e);
          return;
        }
        subscriber.next({ type: 'sample', timeMs, sockets });
      });
    };

    const ticks = timer(0, intervalMs, scheduler).subscribe(runOnce);
    return () => {
      ticks.unsubscribe();
      const running = child;
      child = undefined;
      if (running !== undefined && running.exitCode === null && running.signalCode === null) running.kill();
    };
  });
}

/** What the kernel holds for one connection, summed over the sockets sampled. */
export interface KernelBytes {
  /** Client side: bytes written by us, not acknowledged by the device (in flight plus not sent). */
  sendQ: number;
  /** Client side: bytes in flight on the wire. */
  unacked: number;
  /** Client side: bytes in the send queue not sent yet. */
  notsent: number;
  /** Client side: reply bytes the kernel holds that we have not read. */
  clientRecvQ: number;
  /** Device side (local devices only): request bytes the device has not read yet. */
  deviceRecvQ: number;
  /** Device side: reply bytes the device wrote that we have not acknowledged. */
  deviceSendQ: number;
  /** Client side: retransmitted segments over the connection's life. */
  retrans: number;
  /** Client side, largest over the sockets. */
  rtoMs: number;
  rttMs: number;
  cwnd: number;
  /** False when no device-side socket was seen (remote device): `deviceRecvQ` is then unknown. */
  deviceVisible: boolean;
}

/**
 * Splits sampled sockets into client side (peer port = the device port) and
 * device side (local port = the device port) and sums each.
 */
export function kernelBytes(sockets: readonly SsSocket[], devicePort: number): KernelBytes {
  const k: KernelBytes = { sendQ: 0, unacked: 0, notsent: 0, clientRecvQ: 0, deviceRecvQ: 0, deviceSendQ: 0, retrans: 0, rtoMs: 0, rttMs: 0, cwnd: 0, deviceVisible: false };
  for (const s of sockets) {
    if (s.localPort === devicePort) {
      k.deviceVisible = true;
      k.deviceRecvQ += s.recvQ;
      k.deviceSendQ += s.sendQ;
    } else if (s.peerPort === devicePort) {
      k.sendQ += s.sendQ;
      k.unacked += s.unackedBytes;
      k.notsent += s.notsentBytes;
      k.clientRecvQ += s.recvQ;
      k.retrans += s.retransTotal;
      k.rtoMs = Math.max(k.rtoMs, s.rtoMs);
      k.rttMs = Math.max(k.rttMs, s.rttMs);
      k.cwnd = Math.max(k.cwnd, s.cwnd);
    }
  }
  return k;
}
