/**
 * What `rxbridge info` does: what an NBD server says about an export (or,
 * with --list, about each of its exports), like nbdinfo. The JSON uses
 * nbdinfo's field names, so the two can be compared key by key. Loaded only
 * when the command runs (see ../info.ts).
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { connectNbd, listExports } from '../../nbd/client/index.js';
import type { NbdExportInfo, NbdTlsOptions } from '../../nbd/client/index.js';
import { formatNbdUri, parseNbdUri } from '../../nbd/uri.js';
import type { CliContext } from '../cliContext.js';
import { tlsOptionsOf, type TlsCliFlags } from '../nbdOptions.js';
import { humanSize } from '../options.js';

/** One export in nbdinfo's JSON shape, plus the fields nbdinfo leaves out (block sizes always, raw flags). */
export interface ExportReport {
  'export-name': string;
  description?: string;
  uri: string;
  contexts: string[];
  is_read_only: boolean;
  can_cache: boolean;
  can_df: boolean;
  can_fast_zero: boolean;
  can_flush: boolean;
  can_fua: boolean;
  can_multi_conn: boolean;
  can_trim: boolean;
  can_zero: boolean;
  block_size_minimum: number;
  block_size_preferred: number;
  block_size_maximum: number;
  /** False when the server sent no INFO_BLOCK_SIZE (the three values above are then the protocol's defaults). */
  block_size_advertised: boolean;
  transmission_flags: number;
  'export-size': number;
  'export-size-str': string;
}

export interface InfoReport {
  protocol: 'newstyle-fixed';
  TLS: boolean;
  structured: boolean;
  exports: ExportReport[];
}

/** The report of one connected export; `uri` is the server's URI, the export name is put in. */
export function exportReport(info: NbdExportInfo, uri: string, description?: string): ExportReport {
  const bs = info.blockSize;
  return {
    'export-name': info.name,
    ...(description ? { description } : {}),
    uri: exportUri(uri, info.name),
    contexts: info.baseAllocation !== undefined ? ['base:allocation'] : [],
    is_read_only: info.readOnly,
    can_cache: info.canCache,
    can_df: info.canDf,
    can_fast_zero: info.canFastZero,
    can_flush: info.canFlush,
    can_fua: info.canFua,
    can_multi_conn: info.canMultiConn,
    can_trim: info.canTrim,
    can_zero: info.canZero,
    block_size_minimum: bs.minimum,
    block_size_preferred: bs.preferred,
    block_size_maximum: bs.maximum,
    block_size_advertised: bs.advertised,
    transmission_flags: info.transmissionFlags,
    'export-size': Number(info.size),
    'export-size-str': humanSize(info.size),
  };
}

/** The server's URI with this export's name; a TCP URI keeps its '/' when the name is empty, as nbdinfo prints it. */
function exportUri(uri: string, exportName: string): string {
  const parts = parseNbdUri(uri);
  const text = formatNbdUri({ ...parts, exportName });
  return exportName === '' && parts.transport === 'tcp' ? text.replace(/^([^/]*\/\/[^/?]*)/, '$1/') : text;
}

/** nbdinfo's text layout. */
export function renderInfo(report: InfoReport): string {
  const lines = [`protocol: ${report.protocol} ${report.TLS ? 'with' : 'without'} TLS, using ${report.structured ? 'structured' : 'simple'} replies`];
  for (const e of report.exports) {
    lines.push(`export=${JSON.stringify(e['export-name'])}:`);
    if (e.description) lines.push(`\tdescription: ${e.description}`);
    lines.push(`\texport-size: ${e['export-size']} (${e['export-size-str']})`, `\turi: ${e.uri}`);
    if (e.contexts.length > 0) lines.push('\tcontexts:', ...e.contexts.map((c) => `\t\t${c}`));
    for (const key of ['is_read_only', 'can_cache', 'can_df', 'can_fast_zero', 'can_flush', 'can_fua', 'can_multi_conn', 'can_trim', 'can_zero'] as const) {
      lines.push(`\t${key}: ${e[key]}`);
    }
    const note = e.block_size_advertised ? '' : ' (not advertised: defaults)';
    lines.push(`\tblock_size_minimum: ${e.block_size_minimum}${note}`, `\tblock_size_preferred: ${e.block_size_preferred}${note}`, `\tblock_size_maximum: ${e.block_size_maximum}${note}`);
    lines.push(`\ttransmission_flags: 0x${e.transmission_flags.toString(16)}`);
  }
  return lines.join('\n') + '\n';
}

/** Connects, reads the export's info, closes politely. */
async function describe(uri: string, tls: NbdTlsOptions, exportName?: string, description?: string): Promise<Described> {
  const client = await firstValueFrom(connectNbd(uri, exportName === undefined ? tls : { ...tls, exportName }));
  try {
    return { ...exportReport(client.info, uri, description), structured: client.info.structuredReplies, tls: client.info.tls === true };
  } finally {
    await lastValueFrom(client.close(), { defaultValue: undefined });
  }
}

type Described = ExportReport & { structured: boolean; tls: boolean };
export type InfoFlags = { json?: boolean; list?: boolean } & TlsCliFlags;

export async function info(context: CliContext, uri: string, options: InfoFlags): Promise<number> {
  const tls = tlsOptionsOf(options);
  let described: Described[];
  if (options.list) {
    const exports = await lastValueFrom(listExports(uri, tls).pipe(toArray()));
    described = [];
    for (const e of exports) described.push(await describe(uri, tls, e.name, e.description));
  } else {
    described = [await describe(uri, tls)];
  }
  const report: InfoReport = {
    protocol: 'newstyle-fixed',
    TLS: described.length > 0 ? described[0].tls : false,
    structured: described.length > 0 ? described[0].structured : false,
    exports: described.map(({ structured: _, tls: __, ...e }) => e),
  };
  context.io.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : renderInfo(report));
  return 0;
}
