// Writeback's policy and its ordering rule, through the WritebackHost interface it declares: a
// host of our own holds the entry table, so each test sets up exactly the LRU it needs and
// completes the device's writes in the order it chooses.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SimClock } from "../../src/clock.ts";
import { PAGE_SIZE } from "../../src/constants.ts";
import type { SwapDevice } from "../../src/device/index.ts";
import type { EntryIndex, SwapOffset, SwapType } from "../../src/types.ts";
import { EntryTable, REFERENCED } from "../../src/zswap/entries.ts";
import { Writeback, type WritebackHost } from "../../src/zswap/writeback.ts";

/** A device whose writes land when the test says, in any order; reads are not used. */
class HeldDevice implements SwapDevice {
  readonly slots = 64;
  readonly describe = "held writes";
  readonly bytes = new Map<number, number>(); // slot -> first byte of the page written there
  readonly pending: { slot: number; first: number; land: () => void }[] = [];
  read(): Promise<void> {
    return Promise.reject(new Error("not used"));
  }
  write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    const first = page[0]!;
    return new Promise((resolve) => {
      this.pending.push({
        slot,
        first,
        land: () => {
          this.bytes.set(slot, first);
          resolve();
        },
      });
    });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A host over an entry table whose every entry holds a page filled with its own marker byte. */
function host(device: SwapDevice, wantWritebacks: () => number) {
  const entries = new EntryTable();
  const marker = new Map<number, number>();
  const writtenBack: number[] = [];
  let inFlightWanted = wantWritebacks;
  const h: WritebackHost = {
    entries,
    clock: new SimClock(),
    deviceOf: () => device,
    entryRead: (e, into) => {
      into.fill(marker.get(e)!, 0, PAGE_SIZE);
      return 100;
    },
    entryReadOff: () => -1,
    entryWrittenBack: (e) => {
      writtenBack.push(marker.get(e)!);
      entries.lruDel(e);
      entries.entryFree(e);
    },
    writebackFailed: () => assert.fail("no write fails here"),
    stores: () => marker.size,
    reclaimWanted: () => false,
    shrinkWanted: (inFlightBytes) => inFlightBytes < inFlightWanted() * 100,
    poolAccepts: () => true,
    writebackPossible: () => true,
    compactIfFragmented: () => {},
    lruOldest: () => entries.lruOldest(),
    lruRotate: (e) => entries.lruRotate(e),
    groupWanted: () => false,
    writebackStarted: () => {},
    entryCopy: () => assert.fail("no area is packed here"),
    entryLength: () => 100,
    packedOf: () => undefined,
    blockWritten: () => assert.fail("no area is packed here"),
  };
  /**
   * Stores an entry for `slot` whose page is filled with `mark`, as zswap would: at the LRU's
   * newest end, or at its oldest when the dip policy places as BIP.
   */
  const store = (slot: number, mark: number, referenced: boolean, oldest = false): EntryIndex => {
    const e = entries.rowPeek();
    entries.entryAlloc(e, 0 as SwapType, slot as SwapOffset, 0, false, 0);
    if (!referenced) entries.flags[e]! &= ~REFERENCED;
    if (oldest) entries.lruAddOldest(e);
    else entries.lruAdd(e);
    marker.set(e, mark);
    return e;
  };
  return {
    h,
    store,
    writtenBack,
    want(n: () => number) {
      inFlightWanted = n;
    },
  };
}

/** Lets the writes' completions run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("writeback", () => {
  test("a referenced entry gets a second chance: the oldest unreferenced one goes first", async () => {
    const device = new HeldDevice();
    let wanted = 0;
    const { h, store } = host(device, () => wanted);
    store(1, 0xa1, true); // oldest, but used since it came in
    store(2, 0xb2, false);
    store(3, 0xc3, false);
    const wb = new Writeback(h, 4);
    wanted = 1;
    wb.kick();
    assert.deepEqual(
      device.pending.map((w) => w.slot),
      [2],
      "the referenced oldest entry was passed over once",
    );
    assert.equal(h.entries.flags[1]! & REFERENCED, 0, "and lost its mark");
    assert.equal(h.entries.lruOldest(), 3, "rotated behind the others");
  });

  test("a slot's new entry is not written back while its old entry's write is in flight", async () => {
    const device = new HeldDevice();
    let wanted = 1;
    const t = host(device, () => wanted);
    const old = t.store(5, 0x01, false);
    const wb = new Writeback(t.h, 4);
    wb.kick();
    assert.deepEqual(
      device.pending.map((w) => w.slot),
      [5],
      "the old page's write is in flight",
    );
    // The slot is swapped out again (the old entry is invalidated during its write, as zswap's
    // store does), and writeback is wanted for the new entry at once.
    t.h.entries.entryFree(old);
    t.store(5, 0x02, false);
    wanted = 2;
    wb.kick();
    assert.equal(device.pending.length, 1, "no second write to slot 5 while one is in flight");
    // The writes land in the worst order: had both been issued, the old one would land last.
    device.pending.shift()!.land();
    await settle();
    assert.equal(device.pending.length, 1, "the new entry's write starts once the old one landed");
    device.pending.shift()!.land();
    await settle();
    assert.equal(device.bytes.get(5), 0x02, "the device holds the newest page of slot 5");
    assert.deepEqual(t.writtenBack, [0x02]);
  });

  test("entries placed at the oldest end (dip following BIP) go first, newest first; the pool's older entries stay", async () => {
    const device = new HeldDevice();
    let wanted = 0;
    const t = host(device, () => wanted);
    for (let slot = 1; slot <= 3; slot++) t.store(slot, slot, true); // as zswap stores: referenced
    const before = [1, 2, 3].map((e) => t.h.entries.flags[e]!);
    t.store(4, 4, true, true); // BIP's placement clears the mark: no second chance
    t.store(5, 5, true, true);
    const wb = new Writeback(t.h, 4);
    wanted = 2;
    wb.kick();
    assert.deepEqual(
      device.pending.map((w) => w.slot),
      [5, 4],
      "the newest arrival first, then the one before",
    );
    assert.deepEqual(
      [1, 2, 3].map((e) => t.h.entries.flags[e]!),
      before,
      "the older entries were not even looked at",
    );
    wanted = 0;
    for (const w of device.pending.splice(0)) w.land();
    await settle();
    assert.deepEqual(t.writtenBack, [5, 4]);
    assert.equal(t.h.entries.lruOldest(), 1, "the oldest entry is still the oldest");
  });
});
