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

import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import {
  DEVICE_IO_DEPTH_DEFAULT,
  DEVICE_IO_DEPTH_MAX,
  DEVICE_WRITES_IN_FLIGHT_MAX,
  PAGE_SIZE,
} from "../constants.ts";
import {
  ioErrorFrom,
  optionsKnownCheck,
  ZswapArgumentError,
  ZswapIOError,
  ZswapOptionError,
} from "../errors.ts";
import type { SwapOffset } from "../types.ts";
import { slotsCheck } from "./check.ts";
import { IoDepth } from "./in-flight.ts";
import { PageDevice } from "./page-device.ts";
import { swapFileOpen } from "./swap-file.ts";

export interface FileDeviceOptions {
  /**
   * A swap file to create at this path: exclusively (an existing file is refused unless `reuse`),
   * never through a symlink, mode 0600, and unlinked as soon as it is open, so that nothing stays
   * on disk however the process ends. Default: an unnamed file in `folder`.
   */
  path?: string;
  /**
   * Allow `path` to be an existing regular file that this user owns: it is used as swap (its
   * contents are overwritten, its mode set to 0600, it is extended if shorter) and kept on close.
   */
  reuse?: boolean;
  /** The folder of the default, unnamed swap file (default os.tmpdir()). */
  folder?: string;
  /** Slots of PAGE_SIZE bytes; the file is extended (sparse) to slots * PAGE_SIZE if shorter. */
  slots: number;
  /** Bypass the page cache with O_DIRECT (Linux); fails with ZSWAP_E_OPTION where unsupported. */
  direct?: boolean;
  /** I/Os in flight at once, 1..DEVICE_IO_DEPTH_MAX; default DEVICE_IO_DEPTH_DEFAULT. */
  ioDepthMax?: number;
}

const FILE_DEVICE_OPTIONS: ReadonlySet<string> = new Set([
  "path",
  "reuse",
  "folder",
  "slots",
  "direct",
  "ioDepthMax",
] satisfies (keyof FileDeviceOptions)[]);

/** Step in bytes between offsets the alignment probe tries (V8 buffers are 16-byte aligned). */
const PROBE_STEP_BYTES = 16;

export class FileDevice extends PageDevice {
  readonly describe: string;
  private readonly depth: IoDepth;
  /** Writes in flight at once: reads pass queued writes, as a read-preferring I/O scheduler. */
  private readonly writes = new IoDepth(DEVICE_WRITES_IN_FLIGHT_MAX);

  private constructor(
    private readonly handle: FileHandle,
    /** The file, as reports name it. */
    readonly name: string,
    readonly slots: number,
    /** True when I/O bypasses the page cache (O_DIRECT). */
    readonly direct: boolean,
    /** Most I/Os in flight at once; callers beyond wait in FIFO order. */
    readonly ioDepthMax: number,
    /** Direct mode's bounce pages: page i is at bounceOffset + i * PAGE_SIZE. */
    private readonly bounce: ArrayBuffer | undefined,
    private readonly bounceOffset: number,
  ) {
    super();
    this.depth = new IoDepth(ioDepthMax);
    const mode = direct ? "page cache bypassed, O_DIRECT" : "through the page cache";
    this.describe = `file ${name} (${mode})`;
  }

  /** Opens a swap file of `slots` pages (see FileDeviceOptions for which file, and its rules). */
  static async open(options: FileDeviceOptions): Promise<FileDevice> {
    const { slots, direct, ioDepthMax, ...where } = optionsCheck(options);
    const { handle, name } = await swapFileOpen(where, direct);
    try {
      await fileSizeEnsure(handle, slots * PAGE_SIZE, name);
      let bounce: ArrayBuffer | undefined;
      let bounceOffset = 0;
      if (direct) {
        bounce = new ArrayBuffer((ioDepthMax + 1) * PAGE_SIZE);
        bounceOffset = await bounceAlignmentProbe(handle, bounce, name);
      }
      return new FileDevice(handle, name, slots, direct, ioDepthMax, bounce, bounceOffset);
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }

  /** Whether the file system of `folder` (default os.tmpdir()) takes O_DIRECT swap files, probed on an unnamed file. */
  static async directSupported(folder?: string): Promise<boolean> {
    try {
      await (await FileDevice.open({ slots: 1, folder, direct: true })).close();
      return true;
    } catch (error) {
      if (error instanceof ZswapArgumentError) return false;
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
          throw ioErrorFrom(error, `read of slot ${slot} from ${this.name} failed`);
        });
      if (bytesRead !== PAGE_SIZE) {
        throw new ZswapIOError(
          `short read of slot ${slot} from ${this.name}: ${bytesRead} of ${PAGE_SIZE} bytes`,
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
          throw ioErrorFrom(error, `write of slot ${slot} to ${this.name} failed`);
        });
      if (bytesWritten !== PAGE_SIZE) {
        throw new ZswapIOError(
          `short write of slot ${slot} to ${this.name}: ${bytesWritten} of ${PAGE_SIZE} bytes`,
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
      throw ioErrorFrom(error, `close of ${this.name} failed`);
    }
  }
}

type FileDeviceOptionsChecked = ({ path: string; reuse: boolean } | { folder: string }) & {
  slots: number;
  direct: boolean;
  ioDepthMax: number;
};

function optionsCheck(options: FileDeviceOptions): FileDeviceOptionsChecked {
  if (typeof options !== "object" || options === null) {
    throw new ZswapOptionError("FileDevice.open needs an options object");
  }
  optionsKnownCheck(options, FILE_DEVICE_OPTIONS);
  const { path, reuse = false, folder, slots, direct = false } = options;
  const { ioDepthMax = DEVICE_IO_DEPTH_DEFAULT } = options;
  slotsCheck(slots);
  for (const [name, v] of [
    ["path", path],
    ["folder", folder],
  ] as const) {
    if (v !== undefined && (typeof v !== "string" || v.length === 0 || v.includes("\0"))) {
      throw new ZswapOptionError(`${name} must be a non-empty string`);
    }
  }
  if (path !== undefined && folder !== undefined) {
    throw new ZswapOptionError("give path or folder, not both");
  }
  for (const [name, v] of [
    ["direct", direct],
    ["reuse", reuse],
  ] as const) {
    if (typeof v !== "boolean") {
      throw new ZswapOptionError(`${name} must be a boolean, got ${v}`);
    }
  }
  if (reuse && path === undefined) {
    throw new ZswapOptionError("reuse applies to a path; give one");
  }
  if (!Number.isInteger(ioDepthMax) || ioDepthMax < 1 || ioDepthMax > DEVICE_IO_DEPTH_MAX) {
    throw new ZswapOptionError(
      `ioDepthMax must be an integer in 1..${DEVICE_IO_DEPTH_MAX}, got ${ioDepthMax}`,
    );
  }
  const where = path === undefined ? { folder: folder ?? tmpdir() } : { path, reuse };
  return { ...where, slots, direct, ioDepthMax };
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
  throw new ZswapOptionError(
    `direct: no offset in a ${PAGE_SIZE}-byte window satisfies O_DIRECT alignment for ${path}`,
  );
}
