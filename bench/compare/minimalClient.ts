/**
 * The least a Node.js NBD client can do for one job, as a reference beside
 * `rxbridge bench`: sequential reads of BS bytes at depth QD over one socket,
 * simple replies, one hand-written callback loop and nothing else (no
 * engine, no RxJS, no scheduling, no timeouts, no recovery). Between replies
 * it reads into a reusable 256 KiB buffer (`onread`); once a reply's header
 * is in, the rest of its payload is read straight into the lane's buffer (a
 * Node.js client can do no less copying). The handshake uses rxbridge's own
 * byte encoders and reader.
 * Prints `{ "MBps", "iops", "cpuSecondsPerGB", "seconds" }`; CPU is
 * `process.cpuUsage()` of the whole process from the end of the ramp.
 *
 *   node --import tsx bench/compare/minimalClient.ts URI BS QD SECONDS [RAMP_SECONDS]
 */
import net from 'node:net';
import { HandshakeReader, encodeClientFlags, encodeGoOrInfo, optionErrorMessage, parseInfo } from '../../src/nbd/handshakeClient.js';
import { ClientFlag, Command, HandshakeFlag, OPTION_REPLY_ERROR_BIT, Option, OptionReply, SIMPLE_REPLY_HEADER_BYTES, SIMPLE_REPLY_MAGIC } from '../../src/nbd/protocol.js';
import { encodeRequest } from '../../src/nbd/requestEncoder.js';
import { parseNbdUri } from '../../src/nbd/uri.js';

const RECEIVE_BUFFER_BYTES = 256 * 1024;

/** Where `onread` goes: set to the handshake first, then to the job's reply reader. */
interface ReadRoute {
  /** A chunk read into the receive buffer. */
  push(chunk: Buffer): void;
  /** The buffer the next read lands in. */
  next(): Buffer;
  /** `n` bytes read into the buffer `next()` gave, when that was not the receive buffer. */
  landed(n: number): void;
}

/**
 * Parses simple replies out of received chunks and puts each payload into
 * the buffer of the lane whose tag it carries: what came with the header is
 * copied, the rest is read there directly. Calls `onReply(lane)` when one is
 * whole. Every request is a read of `bs` bytes.
 */
class SimpleReplyReader {
  private readonly header = Buffer.allocUnsafe(SIMPLE_REPLY_HEADER_BYTES);
  private headerFilled = 0;
  /** The lane whose payload is being received, or -1 between replies. */
  private lane = -1;
  private payloadFilled = 0;

  constructor(
    private readonly receive: Buffer,
    private readonly lanes: readonly Buffer[],
    private readonly onReply: (lane: number) => void,
  ) {}

  /** Where the next read should land: straight into the lane's buffer while a payload is due. */
  nextBuffer(): Buffer {
    if (this.lane < 0) return this.receive;
    return this.lanes[this.lane].subarray(this.payloadFilled);
  }

  /** A read that landed in the lane's buffer. */
  landed(n: number): void {
    this.advance(n);
  }

  push(chunk: Buffer): void {
    const bs = this.lanes[0].length;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.lane < 0) {
        const n = Math.min(SIMPLE_REPLY_HEADER_BYTES - this.headerFilled, chunk.length - pos);
        chunk.copy(this.header, this.headerFilled, pos, pos + n);
        this.headerFilled += n;
        pos += n;
        if (this.headerFilled < SIMPLE_REPLY_HEADER_BYTES) return;
        this.headerFilled = 0;
        const magic = this.header.readUInt32BE(0);
        const error = this.header.readUInt32BE(4);
        if (magic !== SIMPLE_REPLY_MAGIC) throw new Error(`bad reply magic 0x${magic.toString(16)}`);
        if (error !== 0) throw new Error(`the server answered a read with error ${error}`);
        this.lane = this.header.readUInt32BE(12);
        if (this.lane >= this.lanes.length) throw new Error(`reply for unknown tag ${this.lane}`);
        this.payloadFilled = 0;
      }
      const n = Math.min(bs - this.payloadFilled, chunk.length - pos);
      chunk.copy(this.lanes[this.lane], this.payloadFilled, pos, pos + n);
      pos += n;
      this.advance(n);
    }
  }

  private advance(n: number): void {
    this.payloadFilled += n;
    if (this.payloadFilled === this.lanes[0].length) {
      const lane = this.lane;
      this.lane = -1;
      this.onReply(lane);
    }
  }
}

/** Connects, negotiates NBD_OPT_GO without structured replies, and resolves with the socket, its export size, the read route and the receive buffer. */
function open(uri: string): Promise<{ socket: net.Socket; size: number; route: ReadRoute; receive: Buffer }> {
  const target = parseNbdUri(uri);
  if (target.transport !== 'tcp' || target.host === undefined || target.port === undefined) throw new Error(`a TCP NBD URI is needed, got ${uri}`);
  const receive = Buffer.allocUnsafe(RECEIVE_BUFFER_BYTES);
  const route: ReadRoute = { push: () => {}, next: () => receive, landed: () => {} };
  const socket = net.connect({ host: target.host, port: target.port, onread: { buffer: () => route.next(), callback: (n, buf) => { if (buf === receive) route.push(receive.subarray(0, n)); else route.landed(n); return true; } } });
  socket.setNoDelay(true);
  return new Promise((resolve, reject) => {
    const reader = new HandshakeReader();
    let greeted = false;
    let size: number | undefined;
    const closed = () => reject(new Error('the server closed the connection during the handshake'));
    socket.once('error', reject);
    socket.once('close', closed);
    route.push = (chunk) => {
      try {
        reader.push(chunk);
        if (!greeted) {
          const greeting = reader.readGreeting();
          if (greeting === undefined) return;
          if (!(greeting.handshakeFlags & HandshakeFlag.FixedNewstyle)) throw new Error('the server is not fixed newstyle');
          greeted = true;
          const noZeroes = greeting.handshakeFlags & HandshakeFlag.NoZeroes ? ClientFlag.NoZeroes : 0;
          socket.write(encodeClientFlags(ClientFlag.FixedNewstyle | noZeroes));
          socket.write(encodeGoOrInfo(Option.Go, target.exportName, []));
        }
        for (let reply = reader.readOptionReply(); reply !== undefined; reply = reader.readOptionReply()) {
          if (reply.type & OPTION_REPLY_ERROR_BIT) throw new Error(`NBD_OPT_GO refused: ${optionErrorMessage(reply.data)}`);
          const info = reply.type === OptionReply.Info ? parseInfo(reply.data) : undefined;
          if (info?.type === 'export') size = Number(info.size);
          if (reply.type === OptionReply.Ack) {
            if (size === undefined) throw new Error('the server sent no export size');
            if (reader.buffered > 0) throw new Error('the server sent bytes before any request');
            socket.off('error', reject);
            socket.off('close', closed);
            resolve({ socket, size, route, receive });
            return;
          }
        }
      } catch (err) {
        socket.destroy();
        reject(err);
      }
    };
  });
}

async function main(): Promise<void> {
  const [uri, bsText, qdText, secondsText, rampText] = process.argv.slice(2);
  const bs = Number(bsText);
  const qd = Number(qdText);
  const seconds = Number(secondsText);
  const rampSeconds = Number(rampText ?? 0);
  if (!uri || !(bs > 0) || !(qd > 0) || !(seconds > 0) || !(rampSeconds >= 0)) {
    throw new Error('usage: minimalClient.ts URI BS QD SECONDS [RAMP_SECONDS]');
  }
  const { socket, size, route, receive } = await open(uri);
  const blocks = Math.floor(size / bs);
  if (blocks < 1) throw new Error(`the export (${size} bytes) is smaller than one ${bs}-byte block`);

  const lanes = Array.from({ length: qd }, () => Buffer.allocUnsafe(bs));
  const start = performance.now();
  const measureFrom = start + rampSeconds * 1000;
  const deadline = measureFrom + seconds * 1000;
  let measuring = rampSeconds === 0;
  let cpuFrom = process.cpuUsage();
  let measuredFrom = start;
  let ios = 0;
  let next = 0;
  let active = qd;
  let finished = false;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };

  // Whatever ends the job early ends the process with a message and a non-zero code, never without output.
  const fail = (err: unknown) => {
    if (finished) return;
    finished = true;
    process.stderr.write(`minimal client: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    socket.destroy();
  };

  const finish = () => {
    finished = true;
    const elapsed = (performance.now() - measuredFrom) / 1000;
    const cpu = process.cpuUsage(cpuFrom);
    const bytes = ios * bs;
    process.stdout.write(`${JSON.stringify({ MBps: bytes / elapsed / 1e6, iops: ios / elapsed, cpuSecondsPerGB: (cpu.user + cpu.system) / 1e6 / (bytes / 1e9), seconds: elapsed })}\n`);
    socket.destroy();
  };

  const issue = (lane: number) => {
    const now = performance.now();
    if (!measuring && now >= measureFrom) {
      measuring = true;
      measuredFrom = now;
      cpuFrom = process.cpuUsage();
      ios = 0;
    }
    if (now >= deadline) {
      if (--active === 0) finish();
      return;
    }
    // One write per tick, as a batching client would.
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    socket.write(encodeRequest(Command.Read, 0, lane, next * bs, bs));
    if (++next >= blocks) next = 0;
  };

  const replies = new SimpleReplyReader(receive, lanes, (lane) => {
    ios++;
    issue(lane);
  });
  route.push = (chunk) => {
    try {
      replies.push(chunk);
    } catch (err) {
      fail(err);
    }
  };
  route.next = () => replies.nextBuffer();
  route.landed = (n) => {
    try {
      replies.landed(n);
    } catch (err) {
      fail(err);
    }
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the connection closed before the job ended')));
  for (let lane = 0; lane < qd; lane++) issue(lane);
}

await main();
