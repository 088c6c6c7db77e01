// rxbridge's public API.
export * from './core/errors.js';
export type * from './core/codec.js';
export type * from './core/events.js';
export type { EngineCodec, EngineOptions } from './core/engineOptions.js';
export { Engine, type EngineStats } from './core/engine.js';
export { RequestRecord, type StageTimes } from './core/request.js';
export { frame } from '../operators/frame.js';
export { matchReplies, type ReplyEvent } from '../operators/matchReplies.js';
export { window } from '../operators/window.js';
export { prioritize } from '../operators/prioritize.js';
export { rebuffer } from '../operators/rebuffer.js';
export { detectStalls } from '../operators/detectStalls.js';
export { connect, socketSource, socketSink, endSocket } from '../streams/index.js';
export * from './nbd/client/index.js';
export { NbdError, NbdOptionError, NbdHandshakeError } from './nbd/errors.js';
export { parseNbdUri } from './nbd/uri.js';
