/**
 * One hostile case, end to end: the hostile server runs its script, the
 * client connects and runs the workload, and every invariant is checked:
 * outcomes settled within the timeout with coded errors or plausible data,
 * the socket closed by the client itself after a fatal error, and close()
 * never hanging.
 */
import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, type Subscription } from 'rxjs';
import { connectNbd, type NbdClient, type NbdOptions } from '../../src/nbd/client/index.js';
import type { Ending, HandshakePlan, HostileServer, ScriptedConnection, SeenRequest } from './harness.js';
import { expectCoded, failsAtOnce, within, type Settled } from './invariants.js';
import { checkOutcome, requestCount, runWorkload, type WorkloadShape } from './workload.js';

export const TIMEOUT_MS = 300;
export const HANDSHAKE_TIMEOUT_MS = 300;
/** Timer lateness allowed on a loaded two-core machine. */
export const SLACK_MS = 700;

export const CLIENT_OPTIONS: NbdOptions = {
  timeoutMs: TIMEOUT_MS,
  handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
  connectTimeoutMs: 2000,
  receiveBufferBytes: 64 * 1024,
};

export interface TransmissionCase {
  readonly plan: HandshakePlan;
  readonly shape: WorkloadShape;
  /** The bytes to send once the workload's requests are in, and where to cut them into separate writes. */
  readonly replies: (seen: readonly SeenRequest[]) => { bytes: Buffer; cuts?: readonly number[] };
  readonly ending: Ending;
  /** Send the replies one byte every this many ms: a trickle. */
  readonly trickleMs?: number;
}

/** What a case saw, for case-specific checks on top of the invariants. */
export interface CaseResult {
  /** Why connecting failed, if it did. */
  readonly connectError?: unknown;
  readonly settled: readonly Settled[];
  /** The error that ended the connection, if one did before close(). */
  readonly fatal?: unknown;
  /** How a request made after the fatal error failed. */
  readonly lateError?: unknown;
}

/** Server script: correct handshake (up to the plan's cut), read the workload's requests, send the replies, end. */
function transmissionScript(c: TransmissionCase) {
  return async (conn: ScriptedConnection) => {
    try {
      if (await conn.handshake(c.plan)) {
        const seen = await conn.readRequests(requestCount(c.plan.structured));
        const { bytes, cuts } = c.replies(seen);
        if (c.trickleMs) await conn.trickle(bytes, c.trickleMs);
        else await conn.writePieces(bytes, cuts);
      }
    } finally {
      conn.finish(c.ending);
    }
  };
}

/**
 * Runs a case whose handshake may be cut anywhere: connecting must either
 * succeed or fail with a coded error within the handshake timeout, and drop
 * the socket; once connected, the workload runs and every invariant is
 * checked (see checkTransmission).
 */
export async function runHostileCase(server: HostileServer, c: TransmissionCase): Promise<CaseResult> {
  const accepted = server.next(transmissionScript(c));
  const t0 = performance.now();
  const connected = await within(
    firstValueFrom(connectNbd(server.uri, CLIENT_OPTIONS)).then((client) => ({ client, error: undefined }), (error: unknown) => ({ client: undefined, error })),
    HANDSHAKE_TIMEOUT_MS + SLACK_MS,
    'connectNbd settles',
  );
  const conn = await within(accepted, SLACK_MS, 'the server accepted the connection');
  if (!connected.client) {
    expectCoded(connected.error, 'connectNbd');
    expect(performance.now() - t0).to.be.at.most(HANDSHAKE_TIMEOUT_MS + SLACK_MS);
    await within(conn.closed, SLACK_MS, 'the client closes the socket after a failed handshake');
    return { connectError: connected.error, settled: [] };
  }
  return checkTransmission(connected.client, conn, c);
}

/**
 * Every call settles within the timeout, with a coded error or plausible
 * data; after a fatal error the client drops the socket by itself and new
 * requests fail at once; close() always ends.
 */
async function checkTransmission(client: NbdClient, conn: ScriptedConnection, c: TransmissionCase): Promise<CaseResult> {
  let fatal: unknown;
  const events: Subscription = client.events$.subscribe((e) => {
    if (e.type === 'connection' && e.state === 'closed' && e.error !== undefined) fatal ??= e.error;
  });
  try {
    const settled = await within(runWorkload(client, c.shape), TIMEOUT_MS + SLACK_MS, 'every request settles');
    for (const s of settled) {
      expect(s.ms, `${s.name} settled late`).to.be.at.most(TIMEOUT_MS + SLACK_MS);
      checkOutcome(s, c.shape, client.info.structuredReplies);
    }
    let lateError: unknown;
    if (fatal !== undefined) {
      expectCoded(fatal, 'the connection error');
      await within(conn.closed, SLACK_MS, 'the client destroys the socket after a fatal error');
      lateError = failsAtOnce(client.read(0, 1), 'a request after a fatal error');
    }
    // Whatever happened, close() ends: politely on a live connection, at once on a dead one.
    await within(
      lastValueFrom(client.close(), { defaultValue: undefined }).catch((err: unknown) => expectCoded(err, 'close()')),
      TIMEOUT_MS + SLACK_MS,
      'close() completes',
    );
    await within(conn.closed, SLACK_MS, 'the socket is closed after close()');
    return { settled, fatal, lateError };
  } finally {
    events.unsubscribe();
    client.destroy();
  }
}
