// Files the tools write (reports, page corpora): new files only, whole or not at all.
//   1. an existing file is never overwritten: the name must be free, checked before any work
//      and again, atomically, when the file is published (link(2) fails if the name is taken);
//   2. the bytes go to a temporary name in the same folder, mode 0600, and are published only
//      when complete, so a full disk or an error leaves no partial file under the name;
//   3. the temporary name is removed on every failure (a SIGKILL while writing can leave it:
//      Node has no linkat(2) to publish an unnamed file).

import { randomUUID } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { access, type FileHandle, link, lstat, open, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ioErrorFrom, ZswapExistsError } from "./errors.ts";

/** The error for a path a new file cannot be written to (taken, or its folder missing), if any. */
export async function fileNewCheck(path: string, what: string): Promise<void> {
  const taken = await lstat(path).then(
    () => true,
    () => false,
  );
  if (taken) {
    throw new ZswapExistsError(
      `${what} ${path}: a file is already there; choose a new name (it is never overwritten)`,
    );
  }
  try {
    await access(dirname(path), fsConstants.W_OK);
  } catch (error) {
    throw ioErrorFrom(error, `${what} ${path}: cannot write in its folder`);
  }
}

/** Writes a new file at `path` through `write`, published only once it is whole. */
export async function fileNewWrite(
  path: string,
  what: string,
  write: (handle: FileHandle) => Promise<void>,
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(
      temp,
      fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW,
      0o600,
    );
    await write(handle);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await link(temp, path);
  } catch (error) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    if ((error as { code?: unknown }).code === "EEXIST") await fileNewCheck(path, what);
    throw ioErrorFrom(error, `${what} ${path}: cannot write it`);
  }
  await unlink(temp);
}
