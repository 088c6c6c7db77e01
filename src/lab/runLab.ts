/**
 * The lab: runs a scenario against every architecture in turn (or, for
 * `sweep`, the reactive engine under several settings) on the same device,
 * and gathers one LabReport.
 */
import type { LabClient } from './arch/types.js';
import { CLASSIC_ARCHS, connectClassic } from './arch/connectClassic.js';
import { connectReactive } from './arch/reactive.js';
import { LabProgress } from './progress.js';
import type { ScenarioName } from './scenarios.js';
import type { ArchName, ArchResult, LabDevice, LabReport } from './types.js';
import { runWorkload } from './workloads.js';
import { SWEEP_VARIANTS, type LabVariant } from './sweep.js';
import { resolveModel } from '../device/model.js';
import { startDeviceWorker } from '../nbd/server/startDeviceWorker.js';
import { connectNbd } from '../nbd/client/index.js';
import { firstValueFrom } from 'rxjs';

export const ALL_ARCHS: readonly ArchName[] = [...CLASSIC_ARCHS, 'reactive'];

export interface LabOptions {
  scenario: ScenarioName | 'sweep';
  /** Measured time per architecture (or sweep variant). */
  durationMs: number;
  seed: number;
  archs?: readonly ArchName[];
  /** An NBD server to use instead of the embedded device. */
  deviceUri?: string;
  /** Device model preset for the embedded device. */
  model?: string;
  /** Export size of the embedded device. */
  deviceSize?: number;
  /** Where progress goes; none when undefined. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The reactive engine's defaults in the lab: a byte window sized for a gigabit-class link (about 10 ms of data). */
export const LAB_REACTIVE_DEFAULTS: LabVariant = { label: 'reactive', options: {} };

export async function runLab(options: LabOptions): Promise<LabReport> {
  const size = options.deviceSize ?? 1024 * 1024 * 1024;
  const embedded = options.deviceUri === undefined;
  const modelName = options.model ?? 'gigabit';
  const worker = embedded ? await startDeviceWorker({ model: modelName, exports: [{ name: '', size }] }) : undefined;
  const uri = options.deviceUri ?? worker!.uri;
  try {
    const device = await describeDevice(uri, embedded, modelName);
    const scenario: ScenarioName = options.scenario === 'sweep' ? 'mixed' : options.scenario;
    const runs: { arch: ArchName; label?: string; connect: () => Promise<LabClient> }[] =
      options.scenario === 'sweep'
        ? SWEEP_VARIANTS.map((v) => ({ arch: 'reactive', label: v.label, connect: () => connectReactive(uri, v.options) }))
        : (options.archs ?? ALL_ARCHS).map((arch) => ({
            arch,
            connect: () => (arch === 'reactive' ? connectReactive(uri, LAB_REACTIVE_DEFAULTS.options) : connectClassic(arch, uri)),
          }));
    const progress = options.progress
      ? new LabProgress(runs.map((r) => r.label ?? r.arch), { durationMs: options.durationMs, stream: options.progress })
      : undefined;
    const results: ArchResult[] = [];
    const notes: string[] = [];
    let kernelSampled = true;
    const devicePort = Number(new URL(uri.replace(/^nbd(\+unix)?:/, 'http:')).port) || undefined;
    try {
      for (const run of runs) {
        const name = run.label ?? run.arch;
        const client = await run.connect();
        try {
          const outcome = await runWorkload(
            client, run.arch,
            {
              scenario, durationMs: options.durationMs, seed: options.seed, exportSize: Number(device.sizeBytes ?? size), devicePort,
              onProgress: (p) => progress?.update(name, p),
            },
            run.label,
          );
          results.push(outcome.result);
          kernelSampled &&= outcome.kernelSampled;
          for (const n of outcome.notes) notes.push(`${name}: ${n}`);
          progress?.finish(name, {
            elapsedMs: options.durationMs,
            readMBps: outcome.result.read.MBps,
            writeMBps: outcome.result.write.MBps,
            worstReadMs: outcome.result.read.maxMs,
          });
        } finally {
          await client.close();
        }
      }
    } finally {
      progress?.stop();
    }
    return { scenario: options.scenario, seed: options.seed, device, durationMs: options.durationMs, kernelSampled, notes, results };
  } finally {
    await worker?.close();
  }
}

async function describeDevice(uri: string, embedded: boolean, modelName: string): Promise<LabDevice> {
  const client = await firstValueFrom(connectNbd(uri, { structuredReplies: false }));
  const sizeBytes = Number(client.info.size);
  await firstValueFrom(client.close(), { defaultValue: undefined });
  if (!embedded) return { name: 'external', uri, embedded, sizeBytes };
  const model = resolveModel(modelName);
  const mbps = (r: number) => (Number.isFinite(r) ? r / 1e6 : null);
  return {
    name: model.name,
    uri,
    embedded,
    readMBps: mbps(model.writeBytesPerSecond),
    writeMBps: mbps(model.readBytesPerSecond),
    serviceTimeMs: model.serviceTimeMs.meanMs,
    parallel: model.parallel,
    sizeBytes,
  };
}
