/**
 * An NBD export as either end of a copy: reads land in the copier's buffers
 * (`read(…, { into })`), writes send them by reference, holes found by block
 * status are zeroed rather than copied.
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { InvalidArgumentError } from '../../core/errors.js';
import { connectNbd, type NbdClient } from '../../nbd/client/index.js';
import { nbdOptionsFor } from '../nbdOptions.js';
import type { CopyDestination, CopySource, NbdEndpointOptions } from './endpoints.js';
import { ZeroMap } from './zeroMap.js';

async function connect(uri: string, options: NbdEndpointOptions): Promise<NbdClient> {
  return firstValueFrom(connectNbd(uri, { ...nbdOptionsFor(options.connections, options.requests, options.requestSize), ...options.tls }));
}

const NO_ZEROS: readonly number[] = [];

abstract class NbdEnd {
  constructor(readonly name: string, protected readonly client: NbdClient) {}

  close(): Promise<void> {
    return lastValueFrom(this.client.close(), { defaultValue: undefined });
  }

  destroy(): void {
    this.client.destroy();
  }
}

export class NbdSource extends NbdEnd implements CopySource {
  readonly size: number;
  private readonly zeros: ZeroMap | undefined;

  static async open(uri: string, options: NbdEndpointOptions): Promise<NbdSource> {
    return new NbdSource(uri, await connect(uri, options), options.requestSize, options.requests);
  }

  private constructor(name: string, client: NbdClient, requestSize: number, requests: number) {
    super(name, client);
    this.size = Number(client.info.size);
    if (client.info.baseAllocation !== undefined) {
      const windowBytes = requestSize * Math.max(256, 4 * requests);
      this.zeros = new ZeroMap((offset, length) => lastValueFrom(client.blockStatus(offset, length).pipe(toArray())), this.size, windowBytes);
    }
  }

  async read(offset: number, length: number, buffer: Buffer): Promise<number> {
    await lastValueFrom(this.client.read(offset, length, { into: buffer }), { defaultValue: undefined });
    return length;
  }

  zerosWithin(offset: number, length: number): Promise<readonly number[]> {
    return this.zeros ? this.zeros.zerosWithin(offset, length) : Promise.resolve(NO_ZEROS);
  }
}

export class NbdDestination extends NbdEnd implements CopyDestination {
  private zeroBuffer: Buffer | undefined;

  static async open(uri: string, options: NbdEndpointOptions): Promise<NbdDestination> {
    const client = await connect(uri, options);
    if (client.info.readOnly) {
      await lastValueFrom(client.close(), { defaultValue: undefined });
      throw new InvalidArgumentError(`the destination ${uri} is read-only`);
    }
    return new NbdDestination(uri, client);
  }

  async prepare(size: number | undefined): Promise<void> {
    const own = this.client.info.size;
    if (size !== undefined && BigInt(size) > own) {
      throw new InvalidArgumentError(`the destination ${this.name} (${own} bytes) is smaller than the source (${size} bytes)`);
    }
  }

  write(offset: number, data: Buffer): Promise<void> {
    return lastValueFrom(this.client.write(offset, data), { defaultValue: undefined });
  }

  zero(offset: number, length: number): Promise<void> {
    if (this.client.info.canZero) return lastValueFrom(this.client.zero(offset, length), { defaultValue: undefined });
    if (this.zeroBuffer === undefined || this.zeroBuffer.length < length) this.zeroBuffer = Buffer.alloc(length);
    return this.write(offset, this.zeroBuffer.subarray(0, length));
  }

  flush(): Promise<void> {
    if (!this.client.info.canFlush) return Promise.resolve();
    return lastValueFrom(this.client.flush(), { defaultValue: undefined });
  }
}
