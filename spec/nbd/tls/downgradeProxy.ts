/**
 * A man in the middle for the TLS downgrade specs: a raw `net` server that
 * relays between a client and a real NBD server (the emulator) and tampers
 * with the negotiation to keep the connection in plaintext. It records every
 * byte the client sends, so a spec can prove what leaked.
 */
import net from 'node:net';

export type Tamper =
  /** Relay untouched (the real server's own answer to STARTTLS stands). */
  | 'none'
  /** Answer NBD_OPT_STARTTLS itself with NBD_REP_ERR_UNSUP, as a server without TLS would. */
  | 'refuse-starttls'
  /** Answer it with NBD_REP_ERR_POLICY. */
  | 'policy-starttls'
  /** Clear NBD_FLAG_FIXED_NEWSTYLE in the server's greeting, so STARTTLS cannot even be sent. */
  | 'strip-fixed-newstyle'
  /** Answer STARTTLS with an ACK for another option (NBD_OPT_STRUCTURED_REPLY). */
  | 'wrong-option-reply'
  /** ACK STARTTLS, and add a forged option reply in plaintext behind the ACK. */
  | 'inject-after-ack'
  /** ACK STARTTLS, then never answer the TLS hello. */
  | 'ack-then-silence';

export interface DowngradeProxy {
  readonly port: number;
  /** Every byte clients sent, in order (all connections). */
  received(): Buffer;
  /** Resolves once a client connection has closed. */
  readonly clientClosed: Promise<void>;
  close(): Promise<void>;
}

const IHAVEOPT = Buffer.from('IHAVEOPT', 'latin1');
const REPLY_MAGIC = Buffer.from('0003e889045565a9', 'hex');
const STARTTLS = 5;
const STRUCTURED_REPLY = 8;
const ACK = 1;
const ERR_UNSUP = 0x80000001;
const ERR_POLICY = 0x80000002;
const GREETING_BYTES = 18;

function optionReply(option: number, type: number, data = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(20);
  REPLY_MAGIC.copy(head, 0);
  head.writeUInt32BE(option, 8);
  head.writeUInt32BE(type, 12);
  head.writeUInt32BE(data.length, 16);
  return Buffer.concat([head, data]);
}

/** What the man in the middle answers to STARTTLS instead of the server. */
function forgedStartTlsReply(tamper: Tamper): Buffer | undefined {
  switch (tamper) {
    case 'refuse-starttls':
      return optionReply(STARTTLS, ERR_UNSUP, Buffer.from('TLS not supported'));
    case 'policy-starttls':
      return optionReply(STARTTLS, ERR_POLICY);
    case 'wrong-option-reply':
      return optionReply(STRUCTURED_REPLY, ACK);
    case 'inject-after-ack':
      return Buffer.concat([optionReply(STARTTLS, ACK), optionReply(STRUCTURED_REPLY, ACK)]);
    case 'ack-then-silence':
      return optionReply(STARTTLS, ACK);
    default:
      return undefined;
  }
}

export async function startDowngradeProxy(upstreamPort: number, tamper: Tamper): Promise<DowngradeProxy> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  let closedOnce!: () => void;
  const clientClosed = new Promise<void>((resolve) => (closedOnce = resolve));

  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(client);
    sockets.add(upstream);
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', () => {
      upstream.destroy();
      closedOnce();
    });
    upstream.on('close', () => client.destroy());

    // Server → client: the greeting, maybe stripped, then everything as it comes.
    let greeting = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      if (greeting.length >= GREETING_BYTES) {
        client.write(chunk);
        return;
      }
      greeting = Buffer.concat([greeting, chunk]);
      if (greeting.length < GREETING_BYTES) return;
      if (tamper === 'strip-fixed-newstyle') greeting.writeUInt16BE(greeting.readUInt16BE(16) & ~1, 16);
      client.write(greeting);
    });

    // Client → server: recorded; the client flags and options relayed, STARTTLS answered by us.
    let pending = Buffer.alloc(0);
    let flagsSeen = false;
    let relayAll = false;
    let swallow = false;
    client.on('data', (chunk: Buffer) => {
      chunks.push(Buffer.from(chunk));
      if (swallow) return;
      if (relayAll) {
        upstream.write(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (!flagsSeen) {
          if (pending.length < 4) return;
          upstream.write(pending.subarray(0, 4));
          pending = pending.subarray(4);
          flagsSeen = true;
          continue;
        }
        if (pending.length < 16) return;
        if (!pending.subarray(0, 8).equals(IHAVEOPT)) {
          // Not an option any more (transmission requests): relay the rest as it is.
          relayAll = true;
          upstream.write(pending);
          return;
        }
        const length = pending.readUInt32BE(12);
        if (pending.length < 16 + length) return;
        const option = pending.readUInt32BE(8);
        const whole = pending.subarray(0, 16 + length);
        pending = pending.subarray(16 + length);
        const forged = option === STARTTLS ? forgedStartTlsReply(tamper) : undefined;
        if (forged === undefined) {
          upstream.write(whole);
          continue;
        }
        client.write(forged);
        if (tamper === 'inject-after-ack' || tamper === 'ack-then-silence') {
          // After a forged ACK the client speaks TLS to us: keep recording, answer nothing.
          swallow = true;
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => Buffer.concat(chunks),
    clientClosed,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
