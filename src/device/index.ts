/** The protocol-agnostic device: sparse store, device model and presets, link pacing, service queue, units. */
export { SparseStore, DEFAULT_STORE_BLOCK_SIZE, type StoreExtent, type ZeroOptions } from './sparseStore.js';
export { TokenBucket, defaultBurst, type Clock } from './tokenBucket.js';
export {
  PRESETS,
  resolveModel,
  mulberry32,
  drawServiceTime,
  type DeviceModel,
  type DeviceOperation,
  type DeviceFaults,
  type ServiceTime,
} from './model.js';
export { ServiceQueue, type ServiceDone, type ServiceQueueOptions } from './serviceQueue.js';
export { pace } from './pace.js';
export { parseSize, parseRate, formatRate } from './units.js';
