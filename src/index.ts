export * from './core/errors.js';
export type * from './core/codec.js';
