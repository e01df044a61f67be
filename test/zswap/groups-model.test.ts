// Model-based: several groups share one small Zswap, each with spaces of its own; random swap-outs,
// swap-ins, frees, bound changes and writeback switches, checked after every step against a Map
// per space and against the bounds: the pool's global bound, each group's zswap.max (a group
// over its bound, because the bound was lowered, never grows), the groups' counters adding up to
// the whole's, and nothing lost. Each run is one seed; a failure names it and the step.

import assert from "node:assert/strict";
import { it } from "node:test";
import { setImmediate as immediate } from "node:timers/promises";
import { PAGE_SIZE } from "../../src/constants.ts";
import { MemoryDevice } from "../../src/device/index.ts";
import { ZswapFullError } from "../../src/errors.ts";
import { Random } from "../../src/random.ts";
import { type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import { generatePage, PAGE_KINDS } from "../../src/workload/generate.ts";
import { Zswap } from "../../src/zswap/index.ts";

const SEEDS = 6;
const STEPS = 1200;
const GROUPS = ["a", "b", "c"] as const;
const SLOTS = 256;

interface Tenant {
  group: string;
  space: SwapSpace;
  model: Map<SwapSlot, Uint8Array>;
}

function pageDraw(r: Random): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  generatePage(PAGE_KINDS[1 + r.below(PAGE_KINDS.length - 1)]!, r.u32(), p);
  return p;
}

/** zswap.max drawn from none, nothing, and a few pages' worth. */
function maxDraw(r: Random): number {
  const k = r.below(4);
  return k === 0 ? Number.POSITIVE_INFINITY : k === 1 ? 0 : (1 + r.below(24)) * 1024;
}

function checkBounds(z: Zswap, before: Map<string, number>, where: string): void {
  const whole = z.stats();
  assert.ok(whole.pool_total_size <= whole.pool_limit_bytes, `${where}: the global bound`);
  let zswapped = 0;
  let bytes = 0;
  let incomp = 0;
  for (const name of z.groupNames) {
    const g = z.groupStats(name);
    const was = before.get(name) ?? 0;
    assert.ok(
      g.zswap <= g.zswap_max || g.zswap <= was,
      `${where}: group ${name} holds ${g.zswap} > zswap.max ${g.zswap_max}, up from ${was}`,
    );
    before.set(name, g.zswap);
    zswapped += g.zswapped;
    bytes += g.zswap;
    incomp += g.zswap_incomp;
  }
  assert.equal(zswapped, whole.Zswapped, `${where}: zswapped adds up to Zswapped`);
  assert.equal(bytes, whole.compressed_bytes, `${where}: zswap adds up to the pool's bytes`);
  assert.equal(incomp, whole.stored_incompressible_pages, `${where}: zswap_incomp adds up`);
}

async function step(r: Random, z: Zswap, tenants: Tenant[], into: Uint8Array): Promise<void> {
  const t = tenants[r.below(tenants.length)]!;
  const op = r.below(100);
  if (op < 50) {
    if (t.model.size >= SLOTS) return;
    const page = pageDraw(r);
    try {
      t.model.set(await t.space.swapOut(page), page);
    } catch (err) {
      // The group's writeback is off and zswap declined: the caller keeps its page.
      assert.ok(err instanceof ZswapFullError, String(err));
      assert.equal(z.groupStats(t.group).zswap_writeback, 0);
    }
  } else if (op < 80) {
    const slots = [...t.model.keys()];
    if (slots.length === 0) return;
    const slot = slots[r.below(slots.length)]!;
    const free = r.chance(0.5);
    await t.space.swapIn(slot, into, { free });
    assert.deepEqual(into, t.model.get(slot), "the page swapped in is the one swapped out");
    if (free) t.model.delete(slot);
  } else if (op < 90) {
    const slots = [...t.model.keys()];
    if (slots.length === 0) return;
    const slot = slots[r.below(slots.length)]!;
    t.space.free(slot);
    t.model.delete(slot);
  } else if (op < 96) {
    z.groupConfigure(GROUPS[r.below(GROUPS.length)]!, { maxBytes: maxDraw(r) });
  } else if (op < 98) {
    z.groupConfigure(GROUPS[r.below(GROUPS.length)]!, { writeback: r.chance(0.7) });
  } else {
    await immediate(); // writebacks land
  }
}

/** What a run exercised: writebacks and stores declined for a group's bound. */
async function run(seed: number): Promise<{ zswpwb: number; groupLimitHit: number }> {
  const r = new Random(seed);
  const z = new Zswap({
    maxPoolBytes: (16 + r.below(48)) * PAGE_SIZE,
    shrinkerEnabled: r.chance(0.5),
    incompressible: r.chance(0.5) ? "store-raw" : "reject",
  });
  for (const g of GROUPS) z.groupAdd(g, { maxBytes: maxDraw(r), writeback: r.chance(0.8) });
  const tenants: Tenant[] = [];
  for (let type = 0; type < 5; type++) {
    const group = type === 4 ? "root" : GROUPS[type % GROUPS.length]!;
    const device = new MemoryDevice({ slots: SLOTS });
    const space = await SwapSpace.open({ slots: SLOTS, device, zswap: z, type, group });
    tenants.push({ group, space, model: new Map() });
  }
  const before = new Map<string, number>();
  const into = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < STEPS; i++) {
    try {
      await step(r, z, tenants, into);
      checkBounds(z, before, `seed ${seed} step ${i}`);
    } catch (err) {
      throw new Error(`seed ${seed}, step ${i}: ${(err as Error).message}`, { cause: err });
    }
  }
  for (const t of tenants) {
    for (const [slot, page] of t.model) {
      await t.space.swapIn(slot, into);
      assert.deepEqual(into, page, `seed ${seed}: slot ${slot} at the end`);
    }
  }
  const whole = z.stats();
  for (const t of tenants) await t.space.close();
  z.stop();
  return { zswpwb: whole.zswpwb, groupLimitHit: whole.group_limit_hit };
}

it(`groups model: ${SEEDS} seeds of ${STEPS} steps keep every bound and lose nothing`, async () => {
  let zswpwb = 0;
  let groupLimitHit = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const done = await run(seed);
    zswpwb += done.zswpwb;
    groupLimitHit += done.groupLimitHit;
  }
  assert.ok(zswpwb > 0 && groupLimitHit > 0, `the runs wrote back and hit group bounds`);
});
