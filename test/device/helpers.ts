// Shared helpers for the device tests: varied page contents and a round-trip check.

import assert from "node:assert/strict";
import { readdir, readlink } from "node:fs/promises";
import { PAGE_SIZE } from "../../src/constants.ts";
import type { FileDevice, SwapDevice } from "../../src/device/index.ts";
import type { ZswapErrorCode } from "../../src/errors.ts";
import { Random } from "../../src/random.ts";
import type { SwapOffset } from "../../src/types.ts";

export const slot = (n: number) => n as SwapOffset;

/**
 * A page whose bytes depend on `seed`, in one of five shapes (random bytes, a short repeating
 * pattern, mostly zeros with a few bytes set, text, a single byte value), so a page that lands in
 * the wrong slot or half-written is told apart from the one expected.
 */
export function pageMake(seed: number): Uint8Array {
  const random = new Random(seed);
  const page = new Uint8Array(PAGE_SIZE);
  switch (seed % 5) {
    case 0:
      for (let i = 0; i < PAGE_SIZE; i++) page[i] = random.below(256);
      break;
    case 1: {
      const period = 1 + random.below(13);
      for (let i = 0; i < PAGE_SIZE; i++) page[i] = (seed * 31 + (i % period)) & 0xff;
      break;
    }
    case 2:
      for (let n = 0; n < 8; n++) page[random.below(PAGE_SIZE)] = 1 + random.below(255);
      page[0] = seed & 0xff || 1;
      break;
    case 3: {
      const text = new TextEncoder().encode(`page ${seed}: the quick brown fox ${seed * 7}. `);
      for (let i = 0; i < PAGE_SIZE; i++) page[i] = text[i % text.length]!;
      break;
    }
    default:
      page.fill(1 + (seed % 255));
  }
  return page;
}

/** Resolves to the error `promise` rejects with; fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error, "rejects with an Error");
    return error;
  }
  assert.fail("expected the promise to reject");
}

/** Asserts that `promise` rejects with an error of `type` carrying `code`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  code: ZswapErrorCode,
): Promise<Error> {
  const error = await rejection(promise);
  assert.ok(error instanceof type, `${error.name} is a ${type.name}: ${error.message}`);
  assert.equal((error as { code?: unknown }).code, code, error.message);
  return error;
}

/**
 * Writes varied pages at `count` random slots (always including 0 and the last), reads every
 * written slot back byte for byte, and checks that some slots never written read as zeros.
 * `written` holds what earlier calls wrote to the same device, and is updated.
 */
export async function roundTripCheck(
  device: SwapDevice,
  count: number,
  seed: number,
  written = new Map<number, Uint8Array>(),
): Promise<{ writes: number; reads: number }> {
  const random = new Random(seed);
  const targets = [0, device.slots - 1];
  while (targets.length < count) targets.push(random.below(device.slots));
  for (const [n, target] of targets.entries()) {
    const page = pageMake(seed * 1000 + n);
    await device.write(slot(target), page);
    written.set(target, page);
  }
  const into = new Uint8Array(PAGE_SIZE);
  for (const [target, page] of written) {
    into.fill(0xee);
    await device.read(slot(target), into);
    assert.deepEqual(into, page, `slot ${target} reads back what was written last`);
  }
  let zeroChecked = 0;
  for (let target = 0; target < device.slots && zeroChecked < 4; target++) {
    if (written.has(target)) continue;
    into.fill(0xee);
    await device.read(slot(target), into);
    assert.ok(
      into.every((byte) => byte === 0),
      `unwritten slot ${target} reads as zeros`,
    );
    zeroChecked++;
  }
  assert.ok(zeroChecked > 0, "the test left some slot unwritten");
  return { writes: targets.length, reads: written.size + zeroChecked };
}

/** Every byte of `page` equals `value`. */
export function pageIsFilled(page: Uint8Array, value: number): boolean {
  return page.every((byte) => byte === value);
}

/** `/proc/self/fd/N` of each file this process holds open in `folder` after unlinking it, oldest first (Linux). */
export async function unlinkedOpen(folder: string): Promise<string[]> {
  const fds: number[] = [];
  for (const name of await readdir("/proc/self/fd")) {
    const target = await readlink(`/proc/self/fd/${name}`).catch(() => "");
    if (target.startsWith(`${folder}/`) && target.endsWith(" (deleted)")) fds.push(Number(name));
  }
  return fds.sort((a, b) => a - b).map((fd) => `/proc/self/fd/${fd}`);
}

/** The open, unlinked swap file `device` made in `folder`: the newest such descriptor. */
export async function swapFileOf(device: FileDevice, folder: string): Promise<string> {
  assert.ok(device.describe.startsWith("file "), device.describe);
  const open = await unlinkedOpen(folder);
  assert.ok(open.length > 0, `no unlinked file open in ${folder}`);
  return open[open.length - 1]!;
}
