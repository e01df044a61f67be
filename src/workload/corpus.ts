// Page corpora: files of 4096-byte pages back to back, nothing else, so any tool can write one.

import fs from "node:fs";
import { PAGE_SIZE } from "../constants.ts";
import { ZswapArgumentError } from "../errors.ts";

/** Reads up to `pagesMax` pages of a corpus file. A size that is not whole pages is an error. */
export function corpusRead(path: string, pagesMax = Number.POSITIVE_INFINITY): Uint8Array[] {
  let size: number;
  try {
    size = fs.statSync(path).size;
  } catch (err) {
    throw new ZswapArgumentError(
      "ZSWAP_E_OPTION",
      `cannot read page corpus ${path}: ${(err as Error).message}`,
    );
  }
  if (size === 0 || size % PAGE_SIZE !== 0) {
    throw new ZswapArgumentError(
      "ZSWAP_E_OPTION",
      `page corpus ${path} is ${size} bytes, not a whole number of ${PAGE_SIZE}-byte pages`,
    );
  }
  const count = Math.min(size / PAGE_SIZE, pagesMax);
  const fd = fs.openSync(path, "r");
  try {
    const pages: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const page = new Uint8Array(PAGE_SIZE);
      if (fs.readSync(fd, page, 0, PAGE_SIZE, i * PAGE_SIZE) !== PAGE_SIZE) {
        throw new ZswapArgumentError(
          "ZSWAP_E_OPTION",
          `page corpus ${path} ended early at page ${i}`,
        );
      }
      pages.push(page);
    }
    return pages;
  } finally {
    fs.closeSync(fd);
  }
}

export function corpusWrite(path: string, pages: readonly Uint8Array[]): void {
  const fd = fs.openSync(path, "w");
  try {
    for (const page of pages) fs.writeSync(fd, page);
  } finally {
    fs.closeSync(fd);
  }
}
