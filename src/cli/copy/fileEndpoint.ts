/**
 * A local file as either end of a copy, through positional reads and writes
 * (pread/pwrite), so lanes work on it in any order. A regular destination is
 * created or truncated, then sized to the source: holes of the source stay
 * holes. Devices are written in place, zeros included.
 *
 * Plain file descriptors and fs callbacks rather than FileHandle promises:
 * one libuv request per read (reads stay in the threadpool, beside the
 * socket work of the event loop); writes go through a PositionalWriter
 * (synchronous while they are quick, see there).
 */
import { close, fstat, fsync, ftruncate, open, read, stat, type Stats } from 'node:fs';
import type { CopyDestination, CopySource } from './endpoints.js';
import { PositionalWriter } from './positionalWriter.js';

function openFd(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
}

/** A regular file (devices and pipes are read as streams: see copyCommand's openSource). */
export class FileSource implements CopySource {
  static async open(path: string): Promise<FileSource> {
    const fd = await openFd(path, 'r');
    try {
      const size = await new Promise<number>((resolve, reject) => fstat(fd, (err, s) => (err ? reject(err) : resolve(s.size))));
      return new FileSource(path, fd, size);
    } catch (err) {
      await closeFd(fd);
      throw err;
    }
  }

  private constructor(readonly name: string, private readonly fd: number, readonly size: number) {}

  /** Reads until `length` bytes are in or the file ends. */
  read(offset: number, length: number, buffer: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      let done = 0;
      const next = (err: Error | null, bytesRead: number) => {
        if (err) return reject(err);
        done += bytesRead;
        if (bytesRead === 0 || done >= length) resolve(done);
        else read(this.fd, buffer, done, length - done, offset + done, next);
      };
      read(this.fd, buffer, 0, length, offset, next);
    });
  }

  close(): Promise<void> {
    return closeFd(this.fd);
  }

  destroy(): void {
    close(this.fd, () => {});
  }
}

export class FileDestination implements CopyDestination {
  /** Holes are free: a fresh regular file sized to a known source reads as zeros where nothing is written. */
  private holesAreZero = false;
  private zeroBuffer: Buffer | undefined;
  private readonly writer: PositionalWriter;

  static async open(path: string): Promise<FileDestination> {
    const existing = await new Promise<Stats | undefined>((resolve) => stat(path, (err, s) => resolve(err ? undefined : s)));
    const regular = existing === undefined || existing.isFile();
    return new FileDestination(path, await openFd(path, regular ? 'w' : 'r+'), regular);
  }

  private constructor(readonly name: string, private readonly fd: number, private readonly regular: boolean) {
    this.writer = new PositionalWriter(fd);
  }

  async prepare(size: number | undefined): Promise<void> {
    if (!this.regular || size === undefined) return;
    await new Promise<void>((resolve, reject) => ftruncate(this.fd, size, (err) => (err ? reject(err) : resolve())));
    this.holesAreZero = true;
  }

  write(offset: number, data: Buffer): Promise<void> {
    return this.writer.write(offset, data);
  }

  async zero(offset: number, length: number): Promise<void> {
    if (this.holesAreZero) return;
    if (this.zeroBuffer === undefined || this.zeroBuffer.length < length) this.zeroBuffer = Buffer.alloc(length);
    await this.write(offset, this.zeroBuffer.subarray(0, length));
  }

  flush(): Promise<void> {
    return new Promise((resolve, reject) => fsync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  close(): Promise<void> {
    return closeFd(this.fd);
  }

  destroy(): void {
    close(this.fd, () => {});
  }
}
