import { InvalidArgumentError } from '../../core/errors.js';
import { SparseStore } from '../../device/sparseStore.js';
import { MAX_STRING_BYTES } from '../protocol-extra.js';

/** An export as the caller describes it. */
export interface NbdExportOptions {
  name: string;
  size: bigint | number;
  readOnly?: boolean;
  description?: string;
}

/** A served export: its description plus the one store every connection shares (multi-conn). */
export interface NbdExport {
  readonly name: string;
  readonly size: number;
  readonly readOnly: boolean;
  readonly description: string;
  readonly store: SparseStore;
}

/** One export named '' of 1 GiB. */
export const DEFAULT_EXPORTS: readonly NbdExportOptions[] = [{ name: '', size: 1n << 30n }];

/** Builds the export table, one shared sparse store per export; names must be unique and short. */
export function buildExportTable(exports: readonly NbdExportOptions[] = DEFAULT_EXPORTS): Map<string, NbdExport> {
  const table = new Map<string, NbdExport>();
  for (const e of exports) {
    if (Buffer.byteLength(e.name) > MAX_STRING_BYTES) throw new InvalidArgumentError(`export name longer than ${MAX_STRING_BYTES} bytes`);
    if (table.has(e.name)) throw new InvalidArgumentError(`duplicate export name ${JSON.stringify(e.name)}`);
    const store = new SparseStore(e.size);
    table.set(e.name, { name: e.name, size: store.size, readOnly: e.readOnly === true, description: e.description ?? '', store });
  }
  if (table.size === 0) throw new InvalidArgumentError('at least one export is needed');
  return table;
}
