/**
 * Parses `ss -tinmH` output (iproute2) into one record per TCP socket: the
 * kernel's view of where a connection's bytes are.
 *
 * Each socket is two lines: a header (`State Recv-Q Send-Q Local Peer`; the
 * State column is absent when ss was given a single-state filter) and an
 * indented info line of `key:value` tokens (`skmem:(…)` first with `-m`).
 * Fields a kernel does not report are left at 0 (or undefined for skmem).
 */

/** `skmem:(r…,rb…,t…,tb…,f…,w…,o…,bl…,d…)`: socket memory, in bytes (drops: packets). */
export interface SsSkmem {
  /** r: receive queue memory in use. */
  rmemAlloc: number;
  /** rb: receive buffer size (SO_RCVBUF as the kernel sees it). */
  rcvBuf: number;
  /** t: transmit memory in flight to the device/driver. */
  wmemAlloc: number;
  /** tb: send buffer size (SO_SNDBUF). */
  sndBuf: number;
  /** f: memory allocated but not used yet. */
  fwdAlloc: number;
  /** w: send queue memory (queued, not yet freed by ACKs). */
  wmemQueued: number;
  /** o: option memory. */
  optMem: number;
  /** bl: backlog queue. */
  backlog: number;
  /** d: packets dropped before reaching the socket. */
  drops: number;
}

export interface SsSocket {
  state: string;
  /** Bytes received by the kernel that the application has not read yet. */
  recvQ: number;
  /** Bytes the application wrote that the peer has not acknowledged (= unacked + notsent). */
  sendQ: number;
  localAddress: string;
  localPort: number;
  peerAddress: string;
  peerPort: number;
  /**
   * Bytes in flight (sent, not acknowledged). Computed from the byte counters:
   * `bytes_sent − bytes_retrans − (bytes_acked − 1)` (bytes_acked counts the
   * SYN's sequence number, hence the −1); where the kernel lacks those
   * counters, `unacked` segments × `mss` (an upper bound: the last segment may
   * be short). Both agree on a captured sample of this machine.
   */
  unackedBytes: number;
  /** `unacked:` segments (0 when ss omits the field, i.e. none). */
  unackedSegments: number;
  /** Bytes in the send queue not sent yet (`notsent:`). */
  notsentBytes: number;
  /** Retransmitted segments still unacknowledged (first half of `retrans:a/b`). */
  retransCurrent: number;
  /** Retransmitted segments over the connection's life (second half of `retrans:a/b`). */
  retransTotal: number;
  bytesRetrans: number;
  rtoMs: number;
  rttMs: number;
  rttVarMs: number;
  /** Congestion window in segments. */
  cwnd: number;
  mss: number;
  bytesSent: number;
  bytesAcked: number;
  bytesReceived: number;
  skmem: SsSkmem | undefined;
}

const SKMEM = /skmem:\(r(\d+),rb(\d+),t(\d+),tb(\d+),f(\d+),w(\d+),o(\d+)(?:,bl(\d+))?(?:,d(\d+))?\)/;
const RTT = /(?:^|\s)rtt:([\d.]+)\/([\d.]+)/;
const RETRANS = /(?:^|\s)retrans:(\d+)\/(\d+)/;

/** Parses the whole output of one `ss -tinmH` run. Unparseable lines are skipped. */
export function parseSsOutput(text: string): SsSocket[] {
  const sockets: SsSocket[] = [];
  let current: SsSocket | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      if (current !== undefined) applyInfo(current, line);
      continue;
    }
    current = parseHeader(line);
    if (current !== undefined) sockets.push(current);
  }
  return sockets;
}

function parseHeader(line: string): SsSocket | undefined {
  const cols = line.trim().split(/\s+/);
  // With a single-state filter ss drops the State column: the line starts with Recv-Q.
  const hasState = !/^\d+$/.test(cols[0] ?? '');
  const base = hasState ? 1 : 0;
  if (cols.length < base + 4) return undefined;
  const recvQ = Number(cols[base]);
  const sendQ = Number(cols[base + 1]);
  if (!Number.isFinite(recvQ) || !Number.isFinite(sendQ)) return undefined;
  const local = splitEndpoint(cols[base + 2]!);
  const peer = splitEndpoint(cols[base + 3]!);
  return {
    state: hasState ? cols[0]! : '',
    recvQ,
    sendQ,
    localAddress: local.address,
    localPort: local.port,
    peerAddress: peer.address,
    peerPort: peer.port,
    unackedBytes: 0,
    unackedSegments: 0,
    notsentBytes: 0,
    retransCurrent: 0,
    retransTotal: 0,
    bytesRetrans: 0,
    rtoMs: 0,
    rttMs: 0,
    rttVarMs: 0,
    cwnd: 0,
    mss: 0,
    bytesSent: 0,
    bytesAcked: 0,
    bytesReceived: 0,
    skmem: undefined,
  };
}

/** `127.0.0.1:10809`, `[::1]:10809`, `[::ffff:127.0.0.1]:10809`, `*:22`, `127.0.0.1%lo:22`. */
function splitEndpoint(text: string): { address: string; port: number } {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { address: text, port: 0 };
  let address = text.slice(0, colon);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const port = Number(text.slice(colon + 1));
  return { address, port: Number.isInteger(port) ? port : 0 };
}

function applyInfo(s: SsSocket, line: string): void {
  const skmem = SKMEM.exec(line);
  if (skmem !== null) {
    const n = (i: number): number => (skmem[i] === undefined ? 0 : Number(skmem[i]));
    s.skmem = { rmemAlloc: n(1), rcvBuf: n(2), wmemAlloc: n(3), sndBuf: n(4), fwdAlloc: n(5), wmemQueued: n(6), optMem: n(7), backlog: n(8), drops: n(9) };
  }
  const rtt = RTT.exec(line);
  if (rtt !== null) {
    s.rttMs = Number(rtt[1]);
    s.rttVarMs = Number(rtt[2]);
  }
  const retrans = RETRANS.exec(line);
  if (retrans !== null) {
    s.retransCurrent = Number(retrans[1]);
    s.retransTotal = Number(retrans[2]);
  }
  s.rtoMs = field(line, 'rto');
  s.cwnd = field(line, 'cwnd');
  s.mss = field(line, 'mss');
  s.bytesSent = field(line, 'bytes_sent');
  s.bytesAcked = field(line, 'bytes_acked');
  s.bytesReceived = field(line, 'bytes_received');
  s.bytesRetrans = field(line, 'bytes_retrans');
  s.unackedSegments = field(line, 'unacked');
  s.notsentBytes = field(line, 'notsent');
  s.unackedBytes = s.bytesSent > 0 && s.bytesAcked > 0
    ? Math.max(0, s.bytesSent - s.bytesRetrans - (s.bytesAcked - 1))
    : s.unackedSegments * s.mss;
}

/** The number after `key:` as a whole token (so `mss` does not match `advmss`); 0 when absent. */
function field(line: string, key: string): number {
  const at = findToken(line, key + ':');
  if (at < 0) return 0;
  const start = at + key.length + 1;
  let end = start;
  while (end < line.length && /[\d.]/.test(line[end]!)) end++;
  const value = Number(line.slice(start, end));
  return Number.isFinite(value) ? value : 0;
}

function findToken(line: string, token: string): number {
  let from = 0;
  for (;;) {
    const at = line.indexOf(token, from);
    if (at < 0) return -1;
    const before = at === 0 ? ' ' : line[at - 1]!;
    if (before === ' ' || before === '\t') return at;
    from = at + 1;
  }
}
