// Where a swap file's descriptor comes from. A swap file holds other memory's pages, so:
//   1. a new file is created exclusively (O_EXCL: an existing file is never overwritten),
//      without following a symlink (O_NOFOLLOW), with mode 0600;
//   2. a file this process creates is unlinked as soon as it is open (or never has a name, with
//      O_TMPFILE): no crash, signal or kill can leave its pages on disk;
//   3. an existing file is used only when the caller allows it, and only a regular file that
//      this user owns; its mode is set to 0600 and it is never shortened or removed;
//   4. nothing but the swap file itself is ever created or removed.

import { randomUUID } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { type FileHandle, lstat, open, unlink } from "node:fs/promises";
import { join } from "node:path";
import {
  ioErrorFrom,
  type ZswapArgumentError,
  type ZswapError,
  ZswapExistsError,
  ZswapOptionError,
} from "../errors.ts";

/** Linux's O_TMPFILE (include/uapi/asm-generic/fcntl.h, every architecture Node runs on). */
const O_TMPFILE = 0o20000000 | (fsConstants.O_DIRECTORY ?? 0);
const FILE_MODE = 0o600;

export interface SwapFile {
  handle: FileHandle;
  /** How reports name it: the path, and whether it is unnamed or the caller's. */
  name: string;
}

/** O_DIRECT's flag bit, or a ZSWAP_E_OPTION error where the platform has none. */
function directFlag(): number {
  const flag = fsConstants.O_DIRECT;
  if (process.platform !== "linux" || flag === undefined) {
    throw new ZswapOptionError(
      `direct: O_DIRECT is not supported on ${process.platform}; open without direct`,
    );
  }
  return flag;
}

/** Opens the swap file: `path` created (or, with `reuse`, an existing one), else an unnamed one in `folder`. */
export async function swapFileOpen(
  where: { path: string; reuse: boolean } | { folder: string },
  direct: boolean,
): Promise<SwapFile> {
  const flags = fsConstants.O_RDWR | (direct ? directFlag() : 0);
  if ("folder" in where) return unnamedOpen(where.folder, flags, direct);
  const { path, reuse } = where;
  try {
    const handle = await open(
      path,
      flags | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW,
      FILE_MODE,
    );
    await unlinkOwn(handle, path);
    return { handle, name: `${path} (unlinked while open)` };
  } catch (error) {
    if ((error as { code?: unknown }).code !== "EEXIST") throw openError(error, path, direct);
  }
  if (!reuse) {
    throw new ZswapExistsError(
      `${path} exists; to use an existing file you own as swap (its contents are overwritten), allow reuse (reuse: true, --swapfile-reuse)`,
    );
  }
  return existingOpen(path, flags, direct);
}

/** An unnamed file in `folder`: O_TMPFILE, or where the file system lacks it, create and unlink. */
async function unnamedOpen(folder: string, flags: number, direct: boolean): Promise<SwapFile> {
  if (process.platform === "linux") {
    try {
      const handle = await open(folder, flags | O_TMPFILE, FILE_MODE);
      return { handle, name: join(folder, "(unnamed)") };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "EOPNOTSUPP" && code !== "EISDIR" && code !== "EINVAL") {
        throw openError(error, folder, direct);
      }
    }
  }
  const path = join(folder, `.zswap-${randomUUID()}`);
  const { handle } = await swapFileOpen({ path, reuse: false }, direct);
  return { handle, name: join(folder, "(unnamed)") };
}

/**
 * Unlinks the file this process just created at `path`, after checking that the name still
 * leads to it (in a folder others may write to, the name could have been replaced).
 */
async function unlinkOwn(handle: FileHandle, path: string): Promise<void> {
  const [mine, named] = await Promise.all([handle.stat(), lstat(path)]);
  if (mine.ino !== named.ino || mine.dev !== named.dev) {
    await handle.close();
    throw new ZswapExistsError(`${path} was replaced while being created`);
  }
  await unlink(path);
}

async function existingOpen(path: string, flags: number, direct: boolean): Promise<SwapFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags | fsConstants.O_NOFOLLOW);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ELOOP") {
      throw new ZswapOptionError(`${path} is a symbolic link; give the file itself`);
    }
    throw openError(error, path, direct);
  }
  try {
    const info = await handle.stat();
    const uid = process.getuid?.();
    if (!info.isFile()) throw refusal(path, "is not a regular file");
    if (uid !== undefined && info.uid !== uid) throw refusal(path, "belongs to another user");
    await handle.chmod(FILE_MODE);
    return { handle, name: `${path} (reused)` };
  } catch (error) {
    await handle.close().catch(() => {});
    throw ioErrorFrom(error, `cannot use ${path} as a swap file`);
  }
}

function refusal(path: string, why: string): ZswapArgumentError {
  return new ZswapOptionError(`${path} ${why}: it cannot be used as swap`);
}

/** The error for a failed open: EINVAL with O_DIRECT means the file system refuses O_DIRECT. */
export function openError(error: unknown, path: string, direct: boolean): ZswapError {
  if (direct && (error as { code?: unknown } | null)?.code === "EINVAL") {
    return new ZswapOptionError(
      `direct: the file system of ${path} does not support O_DIRECT; open without direct`,
    );
  }
  return ioErrorFrom(error, `cannot open ${path}`);
}
