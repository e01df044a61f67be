// The dip writeback policy's parts: a shadow pool against a plain array of its keys, and DIP's
// choice of placement driven by swap-ins that one shadow serves and the other does not.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { BIP_THROTTLE, PSEL_BAND, PSEL_MAX } from "../../src/constants.ts";
import { Dip, keyHash as hashOf, ShadowPool, slotKey } from "../../src/zswap/policy.ts";

describe("shadow pool", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("insert" as const), key: fc.nat(40) }),
    fc.record({ kind: fc.constant("remove" as const), key: fc.nat(40) }),
    fc.record({ kind: fc.constant("promote" as const), key: fc.nat(40) }),
    fc.record({ kind: fc.constant("trim" as const), key: fc.nat(16) }),
  );

  for (const bimodal of [false, true]) {
    test(`holds the keys a list would, in the same order (${bimodal ? "BIP" : "LRU"})`, () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
          const nodesMax = 12;
          const s = new ShadowPool(nodesMax, bimodal);
          const model: number[] = []; // oldest first
          let inserts = 0;
          for (const o of ops) {
            const key = slotKey(o.key % 3, o.key * 7919); // several areas, spread offsets
            const h = hashOf(key);
            if (o.kind === "insert") {
              if (s.has(key, h)) continue; // insert takes keys it does not hold
              if (model.length === nodesMax) model.shift();
              s.insert(key, h);
              const oldest = bimodal && ++inserts % BIP_THROTTLE !== 0;
              if (oldest) model.unshift(key);
              else model.push(key);
            } else if (o.kind === "remove") {
              const i = model.indexOf(key);
              assert.equal(s.remove(key, h), i >= 0);
              if (i >= 0) model.splice(i, 1);
            } else if (o.kind === "promote") {
              s.promote(key, h);
              const i = model.indexOf(key);
              if (i >= 0) model.push(...model.splice(i, 1));
            } else {
              s.trim(o.key);
              while (model.length > o.key) model.shift();
            }
            assert.equal(s.size, model.length);
          }
          // Every key held is found, and the oldest go first.
          for (const key of model) assert.ok(s.has(key, hashOf(key)), `key ${key}`);
          for (let n = model.length - 1; n >= 0; n--) {
            s.trim(n);
            assert.equal(
              s.has(model[model.length - 1 - n]!, hashOf(model[model.length - 1 - n]!)),
              false,
            );
          }
        }),
        { numRuns: 300, seed: 7 },
      );
    });
  }
});

describe("DIP's choice", () => {
  /** A Dip over a pool holding `capacity` entries, every slot followed (a small pool). */
  const dip = (capacity: number) => new Dip(64, () => capacity);

  test("before any swap-in, new entries go to the oldest end: nothing argues for recency yet", () => {
    const d = dip(8);
    for (let k = 0; k < 100; k++) d.offered(slotKey(0, k));
    assert.equal(d.bimodal, true);
    const placed = Array.from({ length: BIP_THROTTLE }, () => d.insertOldest());
    assert.equal(placed.filter((x) => !x).length, 1, "one in BIP_THROTTLE goes to the newest end");
  });

  test("a loop turns placement to BIP; recency turns it back to LRU", () => {
    const d = dip(8);
    // A loop through room for 8: each page swapped in 24 swap-outs after it went out, in the
    // order they went. LRU's shadow has always let it go by then; BIP's keeps what it held.
    let k = 0;
    const modes: boolean[] = [];
    for (; k < 24 + 8 * PSEL_BAND; k++) {
      d.offered(slotKey(0, k));
      if (k >= 24) d.loaded(slotKey(0, k - 24), true);
      if (k >= 24) modes.push(d.bimodal);
    }
    assert.equal(modes[0], false, "from the first swap-in on, PSEL decides, and it starts at LRU");
    assert.equal(d.bimodal, true, "a loop: BIP");
    // Two pages out for each one in: a hot one, swapped in 4 swap-outs after it went out (LRU's
    // shadow still holds it), and a cold one never swapped in (which fills BIP's shadow).
    for (let i = 0; i < 4 * PSEL_MAX && d.bimodal; i++, k += 2) {
      d.offered(slotKey(0, k));
      d.offered(slotKey(1, k));
      d.loaded(slotKey(0, k - 4), true);
    }
    assert.equal(d.bimodal, false, "recency: LRU");
  });

  test("a freed slot is forgotten: its later swap-in counts for neither shadow", () => {
    const d = dip(4);
    d.offered(slotKey(1, 5));
    d.loaded(slotKey(1, 9), true); // the first swap-in: placement follows PSEL from now on
    const before = d.bimodal;
    d.forgotten(slotKey(1, 5));
    for (let i = 0; i < 4 * PSEL_BAND; i++) d.loaded(slotKey(1, 5), true); // both miss: no move
    assert.equal(d.bimodal, before);
  });
});
