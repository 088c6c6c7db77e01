import type { Observable } from 'rxjs';
import type { EngineStats } from '../../core/engine.js';
import type { EngineEvent } from '../../core/events.js';
import type { OffsetDataAssembler } from '../replyDecoder.js';
import type { PieceTarget } from './pieces.js';

/**
 * What the client needs of one logical connection: a plain one
 * (NbdConnection) or one that reconnects and replays (ReconnectingConnection).
 */
/** An engine's figures, plus what reconnecting did (zero without reconnect). */
export interface ConnectionStats extends EngineStats {
  /** New connections made after a loss. */
  readonly reconnects: number;
  /** Requests sent again on a new connection. */
  readonly replayed: number;
}

export interface ClientConnection extends PieceTarget {
  /** Shared by the reads of this connection: the parts of one chunk arrive back to back. */
  readonly assembler: OffsetDataAssembler;
  /** Requests queued or in flight. */
  readonly load: number;
  readonly events$: Observable<EngineEvent>;
  stats(): ConnectionStats;
  /** Completes once nothing is queued or in flight. */
  idle(): Observable<void>;
  /** NBD_CMD_DISC and close; call when idle. */
  disconnect(): Observable<void>;
  destroy(): void;
}
