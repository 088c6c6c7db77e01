import type { Socket } from 'node:net';
import { type Observable, type Observer, type Unsubscribable } from 'rxjs';
import type { FramePart } from '../../core/codec.js';
import { Engine } from '../../core/engine.js';
import type { EngineOptions } from '../../core/engineOptions.js';
import { Command } from '../protocol.js';
import { encodeRequest } from '../requestEncoder.js';
import { OffsetDataAssembler, type NbdReplyHeader } from '../replyDecoder.js';
import { endSocket } from '../../../streams/endSocket.js';
import { NbdEngineCodec, type NbdRequest } from './nbdRequest.js';
import type { ClientConnection, ConnectionStats } from './clientConnection.js';
import type { EngineEvent } from '../../core/events.js';

/** One transmission-phase connection: its engine, and what reads on it share. */
export class NbdConnection implements ClientConnection {
  readonly engine: Engine<NbdReplyHeader, NbdRequest>;
  /** OFFSET_DATA parts of one chunk arrive back to back, so one assembler serves the connection. */
  readonly assembler = new OffsetDataAssembler();

  constructor(
    readonly socket: Socket,
    structuredReplies: boolean,
    maxReplyBytes: number,
    options: EngineOptions,
  ) {
    this.engine = new Engine(socket, new NbdEngineCodec(structuredReplies, maxReplyBytes), options);
    // After a protocol error, a timeout or a reset the stream cannot be framed
    // again: drop the socket at once rather than leave it open until close().
    this.engine.terminated$.subscribe((error) => {
      if (error) socket.destroy();
    });
  }

  submit(request: NbdRequest, observer: Observer<FramePart<NbdReplyHeader>>): Unsubscribable {
    return this.engine.submit(request, observer);
  }

  get events$(): Observable<EngineEvent> {
    return this.engine.events$;
  }

  stats(): ConnectionStats {
    return { ...this.engine.stats(), reconnects: 0, replayed: 0 };
  }

  idle(): Observable<void> {
    return this.engine.idle();
  }

  /** Requests queued or in flight: how busy this connection is. */
  get load(): number {
    return this.engine.load;
  }

  /**
   * Stops the engine and says goodbye: NBD_CMD_DISC, then end the socket.
   * Call once nothing is in flight (a server may abort on a close with
   * requests in flight).
   */
  disconnect(): Observable<void> {
    this.engine.terminate();
    if (!this.socket.destroyed && this.socket.writable) {
      this.socket.write(encodeRequest(Command.Disc, 0, 0, 0, 0));
    }
    return endSocket(this.socket);
  }

  destroy(): void {
    this.engine.terminate();
    this.socket.destroy();
  }
}
