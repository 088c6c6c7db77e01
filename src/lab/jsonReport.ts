/**
 * The lab's `--json` document: the report without its time series, numbers
 * rounded to what the measurement supports, and no Infinity or NaN (which
 * JSON cannot hold).
 */
import type { ArchResultJson, LabReport, LabReportJson } from './types.js';

/** Drops `series` from every result and makes every number JSON-safe. */
export function toJsonReport(report: LabReport): LabReportJson {
  const results: ArchResultJson[] = report.results.map(({ series: _series, ...rest }) => rest);
  return sanitize({ ...report, results }) as LabReportJson;
}

/** `JSON.stringify(toJsonReport(report), null, 2)`. */
export function formatJsonReport(report: LabReport): string {
  return JSON.stringify(toJsonReport(report), null, 2);
}

/** Rounds to 3 decimals (µs for ms figures); non-finite numbers become null. */
function sanitize(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : null;
  if (Array.isArray(value)) return value.map(sanitize);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = sanitize(v);
    return out;
  }
  return value;
}
