// Page corpora: files of 4096-byte pages back to back, nothing else, so any tool can write one.

import fs from "node:fs";
import { PAGE_SIZE } from "../constants.ts";
import { ioErrorFrom, ZswapInputError } from "../errors.ts";
import { fileNewWrite } from "../file-new.ts";

/** Reads up to `pagesMax` pages of a corpus file. A size that is not whole pages is an error. */
export function corpusRead(path: string, pagesMax = Number.POSITIVE_INFINITY): Uint8Array[] {
  let fd: number;
  let size: number;
  try {
    fd = fs.openSync(path, "r");
  } catch (error) {
    throw ioErrorFrom(error, `cannot read page corpus ${path}`);
  }
  try {
    const info = fs.fstatSync(fd);
    if (!info.isFile()) corpusBad(path, "is not a regular file");
    size = info.size;
    if (size === 0 || size % PAGE_SIZE !== 0) {
      corpusBad(path, `is ${size} bytes, not a whole number of ${PAGE_SIZE}-byte pages`);
    }
    const count = Math.min(size / PAGE_SIZE, pagesMax);
    const pages: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const page = new Uint8Array(PAGE_SIZE);
      if (fs.readSync(fd, page, 0, PAGE_SIZE, i * PAGE_SIZE) !== PAGE_SIZE) {
        corpusBad(path, `ended early at page ${i}`);
      }
      pages.push(page);
    }
    return pages;
  } catch (error) {
    throw ioErrorFrom(error, `cannot read page corpus ${path}`);
  } finally {
    fs.closeSync(fd);
  }
}

function corpusBad(path: string, why: string): never {
  throw new ZswapInputError(`page corpus ${path} ${why}`);
}

/** Pages handed to the file system in one call when writing a corpus (1 MiB). */
const CORPUS_WRITE_PAGES = 256;

/**
 * Writes `pages` as a new corpus file: mode 0600, never over an existing file, whole or not at
 * all. An abort of `signal` stops it, leaving nothing.
 */
export function corpusWrite(
  path: string,
  pages: readonly Uint8Array[],
  signal?: AbortSignal,
): Promise<void> {
  return fileNewWrite(path, "corpus", async (handle) => {
    for (let i = 0; i < pages.length; i += CORPUS_WRITE_PAGES) {
      signal?.throwIfAborted();
      await handle.writev(pages.slice(i, i + CORPUS_WRITE_PAGES));
    }
  });
}
