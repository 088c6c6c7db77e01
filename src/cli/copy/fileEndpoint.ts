/**
 * A local file as either end of a copy, through positional reads and writes
 * (pread/pwrite), so lanes work on it in any order. A regular destination is
 * created or truncated, then sized to the source: holes of the source stay
 * holes. Devices are written in place, zeros included.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { RxbridgeError } from '../../core/errors.js';
import type { CopyDestination, CopySource } from './endpoints.js';

/** A regular file (devices and pipes are read as streams: see openEndpoint). */
export class FileSource implements CopySource {
  static async open(path: string): Promise<FileSource> {
    const handle = await open(path, 'r');
    try {
      return new FileSource(path, handle, (await handle.stat()).size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  private constructor(readonly name: string, private readonly handle: FileHandle, readonly size: number) {}

  async read(offset: number, length: number, buffer: Buffer): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  destroy(): void {
    this.handle.close().catch(() => {});
  }
}

export class FileDestination implements CopyDestination {
  /** Holes are free: a fresh regular file sized to a known source reads as zeros where nothing is written. */
  private holesAreZero = false;
  private zeroBuffer: Buffer | undefined;

  static async open(path: string): Promise<FileDestination> {
    const existing = await stat(path).catch(() => undefined);
    const regular = existing === undefined || existing.isFile();
    return new FileDestination(path, await open(path, regular ? 'w' : 'r+'), regular);
  }

  private constructor(readonly name: string, private readonly handle: FileHandle, private readonly regular: boolean) {}

  async prepare(size: number | undefined): Promise<void> {
    if (!this.regular || size === undefined) return;
    await this.handle.truncate(size);
    this.holesAreZero = true;
  }

  async write(offset: number, data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, offset + done);
      if (bytesWritten === 0) throw new RxbridgeError('RXB_SHORT_WRITE', `${this.name}: no progress writing at ${offset + done}`);
      done += bytesWritten;
    }
  }

  async zero(offset: number, length: number): Promise<void> {
    if (this.holesAreZero) return;
    if (this.zeroBuffer === undefined || this.zeroBuffer.length < length) this.zeroBuffer = Buffer.alloc(length);
    await this.write(offset, this.zeroBuffer.subarray(0, length));
  }

  flush(): Promise<void> {
    return this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  destroy(): void {
    this.handle.close().catch(() => {});
  }
}
