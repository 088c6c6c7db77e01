import { InvalidArgumentError } from '../core/errors.js';

/** Operation kinds a device serves; fault rates are given per kind. */
export type DeviceOperation = 'read' | 'write' | 'flush' | 'trim' | 'zero' | 'cache' | 'blockStatus';

/** How long one operation stays in service, drawn per operation. */
export interface ServiceTime {
  distribution: 'fixed' | 'uniform' | 'exponential';
  /** Mean in ms (`uniform` spans 0 .. 2 × mean). */
  meanMs: number;
  /** Upper clamp in ms (exponential tails), if any. */
  maxMs?: number;
}

/** Faults to inject. */
export interface DeviceFaults {
  /** Probability (0..1) that an operation of this kind fails with EIO. */
  errorRate?: Partial<Record<DeviceOperation, number>>;
  /** The device stops serving for `durationMs`, first `afterMs` after the connection entered transmission, then every `everyMs`. */
  stall?: { afterMs: number; durationMs: number; everyMs?: number };
  /** The device drops the connection once it has received more than this many bytes of requests (transmission phase). */
  disconnectAfterBytes?: number;
}

/** What a device looks like from the host: link speeds, service times, parallelism, faults. */
export interface DeviceModel {
  name: string;
  /** Host→device link in bytes/s (paces request bytes read); Infinity = unlimited. */
  readBytesPerSecond: number;
  /** Device→host link in bytes/s (paces reply bytes written); Infinity = unlimited. */
  writeBytesPerSecond: number;
  serviceTimeMs: ServiceTime;
  /** Operations in service at once; the rest wait in a bounded queue. */
  parallel: number;
  faults?: DeviceFaults;
  /** PRNG seed for service times and fault draws (reproducible runs). */
  seed?: number;
}

/** Named models. */
export const PRESETS: Readonly<Record<string, Readonly<DeviceModel>>> = {
  gigabit: {
    name: 'gigabit',
    readBytesPerSecond: 110e6,
    writeBytesPerSecond: 110e6,
    serviceTimeMs: { distribution: 'fixed', meanMs: 0.1 },
    parallel: 32,
  },
  '10gigabit': {
    name: '10gigabit',
    readBytesPerSecond: 1.1e9,
    writeBytesPerSecond: 1.1e9,
    serviceTimeMs: { distribution: 'fixed', meanMs: 0.02 },
    parallel: 64,
  },
  unlimited: {
    name: 'unlimited',
    readBytesPerSecond: Infinity,
    writeBytesPerSecond: Infinity,
    serviceTimeMs: { distribution: 'fixed', meanMs: 0 },
    parallel: 256,
  },
};

/**
 * Resolves a preset name, or a partial model laid over a preset (`base`
 * names it, default `unlimited`), into a validated, complete model.
 */
export function resolveModel(nameOrPartial: string | (Partial<DeviceModel> & { base?: string }) = 'unlimited'): DeviceModel {
  const partial = typeof nameOrPartial === 'string' ? { base: nameOrPartial } : nameOrPartial;
  const baseName = partial.base ?? (partial.name !== undefined && partial.name in PRESETS ? partial.name : 'unlimited');
  const base = PRESETS[baseName];
  if (base === undefined) throw new InvalidArgumentError(`unknown device model ${JSON.stringify(baseName)} (known: ${Object.keys(PRESETS).join(', ')})`);
  const { base: _ignored, ...rest } = partial;
  const model: DeviceModel = {
    ...base,
    ...rest,
    name: partial.name ?? base.name,
    serviceTimeMs: { ...base.serviceTimeMs, ...partial.serviceTimeMs },
  };
  validateModel(model);
  return model;
}

function validateModel(m: DeviceModel): void {
  if (!(m.readBytesPerSecond > 0) || !(m.writeBytesPerSecond > 0)) throw new InvalidArgumentError(`device link rates must be positive (Infinity = unlimited)`);
  if (!(m.parallel >= 1)) throw new InvalidArgumentError(`device parallel must be at least 1, got ${m.parallel}`);
  const st = m.serviceTimeMs;
  if (!['fixed', 'uniform', 'exponential'].includes(st.distribution)) throw new InvalidArgumentError(`unknown service time distribution ${JSON.stringify(st.distribution)}`);
  if (!(st.meanMs >= 0) || !Number.isFinite(st.meanMs)) throw new InvalidArgumentError(`service time mean must be finite and >= 0, got ${st.meanMs}`);
  for (const [op, rate] of Object.entries(m.faults?.errorRate ?? {})) {
    if (!(rate >= 0 && rate <= 1)) throw new InvalidArgumentError(`error rate for ${op} must be within 0..1, got ${rate}`);
  }
  const stall = m.faults?.stall;
  if (stall !== undefined && (!(stall.afterMs >= 0) || !(stall.durationMs >= 0) || (stall.everyMs !== undefined && !(stall.everyMs > 0)))) {
    throw new InvalidArgumentError('stall times must be non-negative (everyMs positive)');
  }
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). Good enough for service times and fault draws. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws one service time in ms from the model's distribution. */
export function drawServiceTime(st: ServiceTime, random: () => number): number {
  let ms: number;
  switch (st.distribution) {
    case 'fixed':
      ms = st.meanMs;
      break;
    case 'uniform':
      ms = random() * 2 * st.meanMs;
      break;
    case 'exponential':
      ms = -Math.log(1 - random()) * st.meanMs;
      break;
  }
  return st.maxMs !== undefined && ms > st.maxMs ? st.maxMs : ms;
}
