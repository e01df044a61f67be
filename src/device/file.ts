// A real file as the swap device: positioned page I/O at slot * PAGE_SIZE, optionally O_DIRECT.
//
// Direct mode. O_DIRECT moves data between the disk and the caller's memory without the page
// cache, so the kernel demands memory aligned to the device's DMA alignment (512 bytes on most
// block devices) and fails a misaligned buffer with EINVAL. Node cannot choose where a buffer
// lives, so the device allocates one bounce ArrayBuffer of (ioDepthMax + 1) pages and finds, once
// at open, an offset inside it that the kernel accepts; every I/O borrows one page there (copy in
// before a write, copy out after a read). A V8 ArrayBuffer's backing store never moves, so the
// offset stays aligned for the device's life.
//
// The probe reads slot 0 and writes the same bytes back, at offsets 0, 16, 32... of the bounce
// buffer, until both succeed. A read alone proves nothing: ext4 answers a read of a hole in a
// sparse file by zeroing memory, with no alignment check, so a fresh file accepts any offset for
// reads. The write is what the kernel checks, and writing back what was just read keeps the
// file's bytes (a hole at slot 0 becomes an allocated block of zeros).

import { constants as fsConstants } from "node:fs";
import { type FileHandle, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEVICE_IO_DEPTH_DEFAULT,
  DEVICE_IO_DEPTH_MAX,
  DEVICE_WRITES_IN_FLIGHT_MAX,
  PAGE_SIZE,
} from "../constants.ts";
import { ZswapArgumentError, ZswapIOError } from "../errors.ts";
import type { SwapOffset } from "../types.ts";
import { ioErrorFrom, slotsCheck } from "./check.ts";
import { IoDepth } from "./in-flight.ts";
import { PageDevice } from "./page-device.ts";

export interface FileDeviceOptions {
  /** The file to use, created if missing and never removed; default: a new file in os.tmpdir(). */
  path?: string;
  /** Slots of PAGE_SIZE bytes; the file is extended (sparse) to slots * PAGE_SIZE if shorter. */
  slots: number;
  /** Bypass the page cache with O_DIRECT (Linux); fails with ZSWAP_E_OPTION where unsupported. */
  direct?: boolean;
  /** I/Os in flight at once, 1..DEVICE_IO_DEPTH_MAX; default DEVICE_IO_DEPTH_DEFAULT. */
  ioDepthMax?: number;
}

/** Step in bytes between offsets the alignment probe tries (V8 buffers are 16-byte aligned). */
const PROBE_STEP_BYTES = 16;

export class FileDevice extends PageDevice {
  readonly describe: string;
  private readonly depth: IoDepth;
  /** Writes in flight at once: reads pass queued writes, as a read-preferring I/O scheduler. */
  private readonly writes = new IoDepth(DEVICE_WRITES_IN_FLIGHT_MAX);

  private constructor(
    private readonly handle: FileHandle,
    /** The file's path. */
    readonly path: string,
    readonly slots: number,
    /** True when I/O bypasses the page cache (O_DIRECT). */
    readonly direct: boolean,
    /** Most I/Os in flight at once; callers beyond wait in FIFO order. */
    readonly ioDepthMax: number,
    /** The folder made for a temporary file, removed on close; undefined for a caller's path. */
    private readonly tempDir: string | undefined,
    /** Direct mode's bounce pages: page i is at bounceOffset + i * PAGE_SIZE. */
    private readonly bounce: ArrayBuffer | undefined,
    private readonly bounceOffset: number,
  ) {
    super();
    this.depth = new IoDepth(ioDepthMax);
    const mode = direct ? "page cache bypassed, O_DIRECT" : "through the page cache";
    this.describe = `file ${path} (${mode})`;
  }

  /** Opens (creating if needed) a swap file of `slots` pages. */
  static async open(options: FileDeviceOptions): Promise<FileDevice> {
    const { slots, direct, ioDepthMax, path } = optionsCheck(options);
    const openFlags = fsConstants.O_RDWR | fsConstants.O_CREAT | (direct ? directFlag() : 0);
    const tempDir = path === undefined ? await tempDirMake() : undefined;
    const filePath = path ?? join(tempDir!, "swap");
    let handle: FileHandle | undefined;
    try {
      handle = await fileOpen(filePath, openFlags, direct);
      await fileSizeEnsure(handle, slots * PAGE_SIZE, filePath);
      let bounce: ArrayBuffer | undefined;
      let bounceOffset = 0;
      if (direct) {
        bounce = new ArrayBuffer((ioDepthMax + 1) * PAGE_SIZE);
        bounceOffset = await bounceAlignmentProbe(handle, bounce, filePath);
      }
      return new FileDevice(
        handle,
        filePath,
        slots,
        direct,
        ioDepthMax,
        tempDir,
        bounce,
        bounceOffset,
      );
    } catch (error) {
      await handle?.close().catch(() => {});
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
      throw error;
    }
  }

  protected async pageRead(slot: SwapOffset, into: Uint8Array): Promise<void> {
    const token = await this.depth.get();
    try {
      const target = this.bounce === undefined ? into : this.bouncePage(token);
      const { bytesRead } = await this.handle
        .read(target, 0, PAGE_SIZE, slot * PAGE_SIZE)
        .catch((error: unknown) => {
          throw ioErrorFrom(error, `read of slot ${slot} from ${this.path} failed`);
        });
      if (bytesRead !== PAGE_SIZE) {
        throw new ZswapIOError(
          `short read of slot ${slot} from ${this.path}: ${bytesRead} of ${PAGE_SIZE} bytes`,
        );
      }
      if (target !== into) into.set(target);
    } finally {
      this.depth.put(token);
    }
  }

  protected async pageWrite(slot: SwapOffset, page: Uint8Array): Promise<void> {
    const write = await this.writes.get();
    const token = await this.depth.get();
    try {
      let source = page;
      if (this.bounce !== undefined) {
        source = this.bouncePage(token);
        source.set(page);
      }
      const { bytesWritten } = await this.handle
        .write(source, 0, PAGE_SIZE, slot * PAGE_SIZE)
        .catch((error: unknown) => {
          throw ioErrorFrom(error, `write of slot ${slot} to ${this.path} failed`);
        });
      if (bytesWritten !== PAGE_SIZE) {
        throw new ZswapIOError(
          `short write of slot ${slot} to ${this.path}: ${bytesWritten} of ${PAGE_SIZE} bytes`,
        );
      }
    } finally {
      this.depth.put(token);
      this.writes.put(write);
    }
  }

  private bouncePage(token: number): Uint8Array {
    return new Uint8Array(this.bounce!, this.bounceOffset + token * PAGE_SIZE, PAGE_SIZE);
  }

  protected async shutdown(): Promise<void> {
    try {
      await this.handle.close();
    } catch (error) {
      throw ioErrorFrom(error, `close of ${this.path} failed`);
    } finally {
      if (this.tempDir !== undefined) await rm(this.tempDir, { recursive: true, force: true });
    }
  }
}

interface FileDeviceOptionsChecked {
  path: string | undefined;
  slots: number;
  direct: boolean;
  ioDepthMax: number;
}

function optionsCheck(options: FileDeviceOptions): FileDeviceOptionsChecked {
  if (typeof options !== "object" || options === null) {
    throw new ZswapArgumentError("ZSWAP_E_OPTION", "FileDevice.open needs an options object");
  }
  const { path, slots, direct = false, ioDepthMax = DEVICE_IO_DEPTH_DEFAULT } = options;
  slotsCheck(slots);
  if (path !== undefined && (typeof path !== "string" || path.length === 0)) {
    throw new ZswapArgumentError("ZSWAP_E_OPTION", "path must be a non-empty string");
  }
  if (typeof direct !== "boolean") {
    throw new ZswapArgumentError("ZSWAP_E_OPTION", `direct must be a boolean, got ${direct}`);
  }
  if (!Number.isInteger(ioDepthMax) || ioDepthMax < 1 || ioDepthMax > DEVICE_IO_DEPTH_MAX) {
    throw new ZswapArgumentError(
      "ZSWAP_E_OPTION",
      `ioDepthMax must be an integer in 1..${DEVICE_IO_DEPTH_MAX}, got ${ioDepthMax}`,
    );
  }
  return { path, slots, direct, ioDepthMax };
}

/** O_DIRECT's flag bit, or a ZSWAP_E_OPTION error where the platform has none. */
function directFlag(): number {
  const flag = fsConstants.O_DIRECT;
  if (process.platform !== "linux" || flag === undefined) {
    throw new ZswapArgumentError(
      "ZSWAP_E_OPTION",
      `direct: O_DIRECT is not supported on ${process.platform}; open without direct`,
    );
  }
  return flag;
}

async function tempDirMake(): Promise<string> {
  try {
    return await mkdtemp(join(tmpdir(), "zswap-"));
  } catch (error) {
    throw ioErrorFrom(error, `cannot make a temporary folder in ${tmpdir()}`);
  }
}

async function fileOpen(path: string, flags: number, direct: boolean): Promise<FileHandle> {
  try {
    return await open(path, flags, 0o600);
  } catch (error) {
    throw fileOpenError(error, path, direct);
  }
}

/**
 * The error for a failed open: EINVAL on an O_DIRECT open means the file system refuses it.
 * Exported for tests only (no file system here refuses O_DIRECT); not part of the public API.
 */
export function fileOpenError(error: unknown, path: string, direct: boolean): Error {
  if (direct && (error as { code?: unknown } | null)?.code === "EINVAL") {
    return new ZswapArgumentError(
      "ZSWAP_E_OPTION",
      `direct: the file system of ${path} does not support O_DIRECT; open without direct`,
    );
  }
  return ioErrorFrom(error, `cannot open ${path}`);
}

/** Extends the file (sparse) to `bytes` if shorter; never shortens a caller's file. */
async function fileSizeEnsure(handle: FileHandle, bytes: number, path: string): Promise<void> {
  try {
    const { size } = await handle.stat();
    if (size < bytes) await handle.truncate(bytes);
  } catch (error) {
    throw ioErrorFrom(error, `cannot size ${path} to ${bytes} bytes`);
  }
}

/** The first offset in `bounce` where an O_DIRECT read and write of slot 0 both succeed. */
async function bounceAlignmentProbe(
  handle: FileHandle,
  bounce: ArrayBuffer,
  path: string,
): Promise<number> {
  for (let offset = 0; offset < PAGE_SIZE; offset += PROBE_STEP_BYTES) {
    const page = new Uint8Array(bounce, offset, PAGE_SIZE);
    try {
      const { bytesRead } = await handle.read(page, 0, PAGE_SIZE, 0);
      if (bytesRead !== PAGE_SIZE) {
        throw new ZswapIOError(`short read of slot 0 from ${path}: ${bytesRead} bytes`);
      }
      const { bytesWritten } = await handle.write(page, 0, PAGE_SIZE, 0);
      if (bytesWritten !== PAGE_SIZE) {
        throw new ZswapIOError(`short write of slot 0 to ${path}: ${bytesWritten} bytes`);
      }
      return offset;
    } catch (error) {
      if ((error as { code?: unknown }).code === "EINVAL") continue;
      throw ioErrorFrom(error, `O_DIRECT alignment probe of ${path} failed`);
    }
  }
  throw new ZswapArgumentError(
    "ZSWAP_E_OPTION",
    `direct: no offset in a ${PAGE_SIZE}-byte window satisfies O_DIRECT alignment for ${path}`,
  );
}
