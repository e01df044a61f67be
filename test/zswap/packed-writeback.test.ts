// Compressed writeback: the packed region's blocks and map (packed-writeback.ts) on their own,
// and zswap writing compressed pages back packed: fewer device writes, every page back byte for
// byte, blocks reclaimed as their pages die, nothing lost when a block's write fails.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SimClock } from "../../src/clock.ts";
import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PACKED_BLOCK_PAGES, PAGE_SIZE } from "../../src/constants.ts";
import type { SwapDevice } from "../../src/device/device.ts";
import { FaultyDevice, MemoryDevice } from "../../src/device/index.ts";
import { ZswapDataError, ZswapOptionError } from "../../src/errors.ts";
import type { SwapOffset } from "../../src/types.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { Zswap, type ZswapOptions } from "../../src/zswap/index.ts";
import { PACKED_BLOCK_BYTES, PackedArea, packedPlace } from "../../src/zswap/packed-writeback.ts";
import { zswapCheck } from "./consistency.ts";

const SLOTS = 128;
const lz4 = compressorCreate("lz4");
const dst = new Uint8Array(COMPRESS_BUFFER_BYTES);
/** Generated pages lz4 compresses to at most a third of a page: several fit a block. */
const corpus = generatePages(300, 21).filter(
  (p) => p.some((b) => b !== p[0]) && lz4.compress(p, dst, PAGE_SIZE / 3) > 0,
);
const slot = (n: number) => n as SwapOffset;

/** A PackedArea over a memory device of `blocks` blocks after SLOTS slots. */
function areaNew(blocks: number) {
  const device = new MemoryDevice({ slots: SLOTS + blocks * PACKED_BLOCK_PAGES });
  return { area: new PackedArea(device, SLOTS), device };
}

/**
 * A block written with one lz4 object for each of `slots`, from corpus pages 0, 1, ...; its
 * block and the bytes used.
 */
async function blockWrite(area: PackedArea, slots: readonly number[]) {
  const block = area.blockTake();
  const buffer = new Uint8Array(PACKED_BLOCK_BYTES);
  const places: [SwapOffset, number][] = [];
  let at = 0;
  slots.forEach((s, i) => {
    const length = lz4.compress(corpus[i]!, dst, PAGE_SIZE);
    buffer.set(dst.subarray(0, length), at);
    places.push([slot(s), packedPlace({ block, codec: 0, offset: at, length })]);
    at += length;
  });
  area.blockWriting(block);
  assert.equal(await area.blockWrite(block, buffer, at), Math.ceil(at / PAGE_SIZE));
  area.blockWritten(block, places);
  return { block, bytes: at };
}

const lz4Decompress = (_c: number, b: Uint8Array, from: number, to: number, into: Uint8Array) =>
  lz4.decompress(b, from, to, into);
const bad = (produced: number) => new ZswapDataError(`produced ${produced}`);

describe("PackedArea", () => {
  test("a slot reads its object back from its block, byte for byte, across pages", async () => {
    const { area } = areaNew(4);
    const slots = [7, 3, 90, 11, 12, 13, 14, 15, 16, 17, 18, 19];
    const { bytes } = await blockWrite(area, slots);
    assert.ok(bytes > PAGE_SIZE, "some object crosses a page boundary");
    assert.equal(area.pages, slots.length);
    assert.equal(area.blocksHeld, 1);
    const into = new Uint8Array(PAGE_SIZE);
    for (const [i, s] of slots.entries()) {
      assert.ok(await area.read(slot(s), into, lz4Decompress, bad));
      assert.deepEqual(into, corpus[i]);
    }
    assert.equal(await area.read(slot(8), into, lz4Decompress, bad), false, "not packed");
  });

  test("a block is reclaimed when its last object dies, and only then", async () => {
    const { area } = areaNew(1);
    const { block: b } = await blockWrite(area, [1, 2]);
    assert.equal(area.blockTake(), -1, "the only block holds live objects");
    area.drop(slot(1));
    assert.equal(area.blockTake(), -1, "one object still lives");
    area.drop(slot(2));
    area.drop(slot(2)); // dropping a slot without an object does nothing
    assert.equal(area.blocksHeld, 0);
    assert.equal(area.blockTake(), b);
  });

  test("a block being filled or written is never handed out; a failed write frees it", () => {
    const { area } = areaNew(2);
    const a = area.blockTake();
    const b = area.blockTake();
    assert.notEqual(a, b);
    assert.equal(area.blockTake(), -1);
    area.blockWriting(a);
    assert.equal(area.blockTake(), -1, "a block being written is not free");
    area.blockFailed(a);
    assert.equal(area.pages, 0, "a failed write maps nothing");
    assert.equal(area.blockTake(), a);
  });

  test("a block being read is not reused until the read ends", async () => {
    const { area, device } = areaNew(1);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: SwapDevice = {
      slots: device.slots,
      describe: "slow reads",
      read: async (s, into) => {
        await gate;
        await device.read(s, into);
      },
      write: (s, page) => device.write(s, page),
      close: () => device.close(),
    };
    const pinned = new PackedArea(slow, SLOTS);
    await blockWrite(pinned, [5]);
    const into = new Uint8Array(PAGE_SIZE);
    const reading = pinned.read(slot(5), into, lz4Decompress, bad);
    pinned.drop(slot(5)); // freed while its block is read
    assert.equal(pinned.blockTake(), -1, "pinned by the read");
    release();
    assert.ok(await reading);
    assert.deepEqual(into, corpus[0], "the read sees the block as it was");
    assert.equal(pinned.blockTake(), 0, "free once the read ended");
    assert.equal(area.blocksHeld, 0);
  });

  test("data that does not decompress to a page fails loudly", async () => {
    const { area } = areaNew(1);
    await blockWrite(area, [4]);
    const garbage = (_c: number, _b: Uint8Array, _f: number, _t: number, _i: Uint8Array) => 17;
    await assert.rejects(
      area.read(slot(4), new Uint8Array(PAGE_SIZE), garbage, bad),
      ZswapDataError,
    );
  });
});

function zswapNew(device: SwapDevice, options: ZswapOptions = {}) {
  const clock = new SimClock();
  const z = new Zswap(
    { maxPoolBytes: 4 << 20, exclusiveLoads: false, compressedWriteback: true, ...options },
    { clock },
  );
  z.swapon(0, SLOTS, device);
  const pages = corpus.slice(0, 40);
  for (const [i, p] of pages.entries()) assert.ok(z.store(0, i, p));
  z.markIdle();
  return { z, clock, pages };
}

/** Every slot reads back its page: from the pool, a packed block, or its own device slot. */
async function allBack(z: Zswap, device: SwapDevice, pages: readonly Uint8Array[]) {
  const into = new Uint8Array(PAGE_SIZE);
  for (const [i, page] of pages.entries()) {
    if (!z.load(0, i, into) && !(await z.loadPacked(0, i, into))) await device.read(slot(i), into);
    assert.deepEqual(into, page, `slot ${i}`);
  }
}

describe("Zswap with compressedWriteback", () => {
  test("writes several pages a block, counts the bytes, and every page comes back", async () => {
    const device = new MemoryDevice({ slots: SLOTS * 2 });
    const { z, clock, pages } = zswapNew(device);
    assert.equal(await clock.run(z.writebackNow({ type: "idle" })), pages.length);
    const s = z.stats();
    assert.equal(s.bd_writes, pages.length);
    assert.equal(s.bd_packed_pages, pages.length);
    assert.equal(s.bd_write_bytes, s.bd_packed_writes * PAGE_SIZE);
    assert.ok(s.bd_packed_writes * 3 <= pages.length, `${s.bd_packed_writes} blocks`);
    assert.equal(s.stored_pages, 0);
    zswapCheck(z);
    await allBack(z, device, pages);
    assert.equal(z.stats().bd_reads, pages.length);
  });

  test("stores and invalidates drop packed pages; emptied blocks are reclaimed", async () => {
    const device = new MemoryDevice({ slots: SLOTS * 2 });
    const { z, clock, pages } = zswapNew(device);
    await clock.run(z.writebackNow({ type: "idle" }));
    const blocks = z.stats().bd_packed_blocks;
    assert.ok(blocks > 0);
    z.store(0, 0, pages[1]!); // stored again: the packed copy is stale
    assert.ok(z.load(0, 0, new Uint8Array(PAGE_SIZE)));
    assert.equal(await z.loadPacked(0, 0, new Uint8Array(PAGE_SIZE)), false, "dropped");
    for (let i = 0; i < pages.length; i++) z.invalidate(0, i);
    const s = z.stats();
    assert.equal(s.bd_packed_pages, 0);
    assert.equal(s.bd_packed_blocks, 0);
  });

  test("a block whose write fails: every page stays in the pool, counted, the block free", async () => {
    const device = new FaultyDevice(new MemoryDevice({ slots: SLOTS * 2 }), {
      seed: 5,
      writeErrorRate: 1,
    });
    const { z, clock, pages } = zswapNew(device);
    assert.equal(await clock.run(z.writebackNow({ type: "idle" })), 0);
    z.stop();
    const s = z.stats();
    assert.equal(s.writeback_fail, pages.length);
    assert.equal(s.stored_pages, pages.length);
    assert.equal(s.bd_packed_pages + s.bd_packed_blocks + s.bd_write_bytes, 0);
    zswapCheck(z);
    await allBack(z, device, pages);
  });

  test("a full region: writeback writes plain pages to their own slots, nothing lost", async () => {
    const device = new MemoryDevice({ slots: SLOTS + PACKED_BLOCK_PAGES });
    const { z, clock, pages } = zswapNew(device);
    assert.equal(await clock.run(z.writebackNow({ type: "idle" })), pages.length);
    const s = z.stats();
    assert.ok(s.bd_packed_writes <= PACKED_BLOCK_PAGES, "one block");
    assert.ok(s.bd_packed_pages >= 2 * s.bd_packed_writes && s.bd_packed_pages < pages.length);
    const plain = pages.length - s.bd_packed_pages;
    assert.equal(s.bd_write_bytes, (s.bd_packed_writes + plain) * PAGE_SIZE);
    await allBack(z, device, pages);
  });

  test("needs a device larger than the area, and is fixed at construction", () => {
    const z = new Zswap({ compressedWriteback: true });
    const small = new MemoryDevice({ slots: SLOTS + PACKED_BLOCK_PAGES - 1 });
    assert.throws(() => z.swapon(0, SLOTS, small), ZswapOptionError);
    z.swapon(1, SLOTS); // no device: nothing to write back to, nothing to pack
    assert.throws(() => z.configure({ compressedWriteback: false }), ZswapOptionError);
    assert.throws(() => new Zswap({ compressedWriteback: 1 as never }), ZswapOptionError);
  });
});
