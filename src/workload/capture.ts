// Capturing a live process's anonymous memory as pages, through /proc/PID/maps and /proc/PID/mem.
// Only writable private mappings that are anonymous (heap, stack, unnamed, [anon:...]) are read:
// those are the pages the kernel would swap.

import fs from "node:fs";
import { PAGE_SIZE } from "../constants.ts";
import { ZswapOptionError } from "../errors.ts";

/** Pages read from /proc/PID/mem in one call (256 KiB). */
const CAPTURE_CHUNK_PAGES = 64;
/** Bytes of one /proc/PID/pagemap entry, and its "present" (63) and "swapped" (62) bits. */
const PAGEMAP_ENTRY_BYTES = 8;
const PAGEMAP_PRESENT_OR_SWAPPED = 0xc000_0000;

interface Mapping {
  start: bigint;
  end: bigint;
}

function anonymousMappings(maps: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of maps.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) rw.p [0-9a-f]+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (m === null) continue;
    const [, start, end, inode, path] = m;
    const anonymous =
      inode === "0" &&
      (path === "" || path === "[heap]" || path === "[stack]" || path.startsWith("[anon"));
    if (anonymous) out.push({ start: BigInt(`0x${start}`), end: BigInt(`0x${end}`) });
  }
  return out;
}

/**
 * Reads up to `pagesMax` pages of process `pid`'s anonymous memory, in address order. Unreadable ranges (guard pages, races with unmapping) are skipped.
 * Needs Linux and permission to read the process (same user with ptrace rights, or root).
 */
export function capturePages(pid: number | "self", pagesMax: number): Uint8Array[] {
  if (!Number.isInteger(pagesMax) || pagesMax < 1) {
    throw new ZswapOptionError(`pagesMax must be an integer >= 1, got ${pagesMax}`);
  }
  let maps: string;
  let fd: number;
  let pagemap: number | undefined;
  try {
    maps = fs.readFileSync(`/proc/${pid}/maps`, "utf8");
    fd = fs.openSync(`/proc/${pid}/mem`, "r");
  } catch (err) {
    throw new ZswapOptionError(`cannot read process ${pid}'s memory: ${(err as Error).message}`);
  }
  try {
    pagemap = fs.openSync(`/proc/${pid}/pagemap`, "r");
  } catch {
    pagemap = undefined; // no residency information: every readable page counts
  }
  const pages: Uint8Array[] = [];
  const chunk = Buffer.alloc(CAPTURE_CHUNK_PAGES * PAGE_SIZE);
  const entries = Buffer.alloc(CAPTURE_CHUNK_PAGES * PAGEMAP_ENTRY_BYTES);
  try {
    for (const { start, end } of anonymousMappings(maps)) {
      for (let addr = start; addr < end && pages.length < pagesMax; ) {
        const want = Math.min(Number(end - addr), chunk.length);
        // Residency first: reading a page through /proc/PID/mem faults it in.
        const resident = residency(pagemap, entries, addr, Math.floor(want / PAGE_SIZE));
        let got = 0;
        try {
          got = fs.readSync(fd, chunk, 0, want, addr);
        } catch {
          got = 0;
        }
        if (got < PAGE_SIZE) {
          addr += BigInt(PAGE_SIZE); // an unreadable page: step over it
          continue;
        }
        const whole = got - (got % PAGE_SIZE);
        for (let off = 0; off < whole && pages.length < pagesMax; off += PAGE_SIZE) {
          if (resident(off / PAGE_SIZE))
            pages.push(new Uint8Array(chunk.subarray(off, off + PAGE_SIZE)));
        }
        addr += BigInt(whole);
      }
    }
  } finally {
    fs.closeSync(fd);
    if (pagemap !== undefined) fs.closeSync(pagemap);
  }
  return pages;
}

/**
 * Which of `count` pages from `addr` are in memory or in swap (pagemap bits 63 and 62): a page
 * the process never touched reads as zeros but is not memory it uses, and nothing would swap it.
 */
function residency(
  pagemap: number | undefined,
  entries: Buffer,
  addr: bigint,
  count: number,
): (i: number) => boolean {
  if (pagemap === undefined) return () => true;
  const bytes = count * PAGEMAP_ENTRY_BYTES;
  let got = 0;
  try {
    got = fs.readSync(
      pagemap,
      entries,
      0,
      bytes,
      (addr / BigInt(PAGE_SIZE)) * BigInt(PAGEMAP_ENTRY_BYTES),
    );
  } catch {
    return () => true;
  }
  if (got < bytes) return () => true;
  return (i) =>
    (entries.readUInt32LE(i * PAGEMAP_ENTRY_BYTES + 4) & PAGEMAP_PRESENT_OR_SWAPPED) !== 0;
}
