// Belady's MIN for the pool, against an exhaustive search on small sequences, and the page
// classes it runs on.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { PAGE_SIZE } from "../../src/constants.ts";
import { Random } from "../../src/random.ts";
import { pageClasses, SwapTrace } from "../../src/workload/belady.ts";

type Event = { kind: "out" | "in"; page: number };

/** The most swap-ins a pool of `capacity` pages can serve: every subset of stored copies tried. */
function bestByExhaustion(events: Event[], capacity: number): number {
  // Each swap-out that is swapped in later is an interval [out, in); at most `capacity` at once.
  const intervals: [number, number][] = [];
  const open = new Map<number, number>();
  events.forEach((e, i) => {
    if (e.kind === "out") open.set(e.page, i);
    else {
      intervals.push([open.get(e.page)!, i]);
      open.delete(e.page);
    }
  });
  let best = 0;
  for (let set = 0; set < 1 << intervals.length; set++) {
    const chosen = intervals.filter((_, i) => set & (1 << i));
    if (chosen.length <= best) continue;
    const fits = events.every(
      (_, t) => chosen.filter(([a, b]) => a <= t && t < b).length <= capacity,
    );
    if (fits) best = chosen.length;
  }
  return best;
}

/** Valid swap sequences: a page is swapped in only while out, and out only while in memory. */
const sequences = fc
  .tuple(fc.array(fc.nat(5), { minLength: 1, maxLength: 24 }), fc.integer({ min: 0, max: 4 }))
  .map(([picks, capacity]) => {
    const out = new Set<number>();
    const events: Event[] = [];
    for (const page of picks) {
      events.push({ kind: out.has(page) ? "in" : "out", page });
      if (out.has(page)) out.delete(page);
      else out.add(page);
    }
    return { events, capacity };
  })
  .filter(({ events }) => events.filter((e) => e.kind === "in").length <= 12);

test("MIN serves as many swap-ins as the best choice of what to keep", () => {
  const classes = { classes: new Uint8Array(6).fill(2), storedBytesMean: 1000 };
  fc.assert(
    fc.property(sequences, ({ events, capacity }) => {
      const trace = new SwapTrace(classes, 6);
      for (const e of events) {
        if (e.kind === "out") trace.out(e.page, 1);
        else trace.in(e.page);
      }
      const ins = events.filter((e) => e.kind === "in").length;
      const best = bestByExhaustion(events, capacity);
      assert.equal(trace.minHitRatio(capacity), ins === 0 ? 0 : best / ins);
    }),
    { numRuns: 300, seed: 11 },
  );
});

test("zero pages are not swap-ins MIN counts, poorly compressible ones are misses", () => {
  const zero = new Uint8Array(PAGE_SIZE);
  const text = new TextEncoder().encode("a page of text that compresses well. ".repeat(111));
  const page = new Uint8Array(PAGE_SIZE);
  page.set(text.subarray(0, PAGE_SIZE));
  const rng = new Random(5);
  const noise = new Uint8Array(PAGE_SIZE).map(() => rng.below(256));
  const pc = pageClasses([zero, page, noise], "lz4", 80);
  assert.deepEqual([...pc.classes], [0, 2, 1]);
  assert.ok(pc.storedBytesMean > 0 && pc.storedBytesMean < PAGE_SIZE / 4, `${pc.storedBytesMean}`);

  const trace = new SwapTrace(pc, 6);
  trace.out(0, 0); // zero-filled: a bit in the swap map, no swap-in for MIN
  trace.out(3, 1); // page 3 is corpus page 0 written once: no longer zero, stored
  trace.out(2, 0); // incompressible: declined, a miss whatever the room
  trace.out(1, 0);
  trace.in(0);
  trace.in(1);
  trace.in(2);
  trace.in(3);
  assert.equal(trace.minHitRatio(10), 2 / 3);
  assert.equal(trace.minHitRatio(1), 1 / 3, "one page of room serves the page read back first");
  assert.equal(trace.minHitRatio(0), 0);
});
