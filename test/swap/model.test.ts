// Model-based: random batches of concurrent swapOut / swapIn / free (and close-and-reopen) on a
// SwapSpace whose pool is small enough that writeback runs all the time, over a seeded faulty
// device, checked against a Map<slot, page>. Nothing lost, nothing returned wrong, ever.
//
// Each run is one seed: the seed draws the configuration (compressor, pool, policies, faults) and
// every operation. A failure names the seed and the index of the operation that went wrong.
// Each run is a simulation on virtual time (SimClock): device latency, the `wait` policy and
// writeback's backoff wait on its timers, and nothing else but microtasks and immediates drives
// the run, so a seed replays the same run exactly (a test checks one seed twice).
//
// The runs go on in worker threads, watched by the test: an infinite loop in the code under test
// (the event loop never turns again) is reported with its seed and op index instead of hanging.
//
//   ZSWAP_SOAK_OPS=5000000      operations in all (default 500000, ~20 s on 2 idle cores)
//   ZSWAP_SEED=123              run that seed alone (ZSWAP_OPS_PER_RUN ops, default 4000)
//   ZSWAP_SEED_BASE=1000        first seed of the series (default 1)

import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { it } from "node:test";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { SimClock } from "../../src/clock.ts";
import { compressorsAvailable, dictionaryTrain } from "../../src/compress/index.ts";
import { IDLE_TICK_MS, PACKED_BLOCK_PAGES, PAGE_SIZE } from "../../src/constants.ts";
import {
  FaultyDevice,
  type LatencyModel,
  MemoryDevice,
  type SwapDevice,
} from "../../src/device/index.ts";
import { type ZswapError, ZswapIOError } from "../../src/errors.ts";
import { Random } from "../../src/random.ts";
import { SWAP_COUNTERS, ZSWAP_COUNTERS } from "../../src/stats/index.ts";
import { type SwapSlot, SwapSpace, type SwapSpaceStats } from "../../src/swap/index.ts";
import type { SwapOffset } from "../../src/types.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { RECOMPRESS_TYPES, WRITEBACK_TYPES } from "../../src/zswap/idle.ts";
import { lruProblem } from "../zswap/consistency.ts";

const OPS_PER_RUN = Number(process.env.ZSWAP_OPS_PER_RUN ?? 4000);
const OPS_TOTAL = Number(process.env.ZSWAP_SOAK_OPS ?? 500_000);
const SEED_ONE = process.env.ZSWAP_SEED === undefined ? undefined : Number(process.env.ZSWAP_SEED);
const SEED_BASE = Number(process.env.ZSWAP_SEED_BASE ?? 1);
/** Codec threads of the seeded series (default 0: the series replays exactly, see below). */
const THREADS = Number(process.env.ZSWAP_THREADS ?? 0);
/** The threads-on runs: seeds from SEED_BASE + THREADED_SEED_OFFSET, 2 codec threads each. */
const THREADED_RUNS = 4;
const THREADED_OPS_PER_RUN = 2000;
const THREADED_SEED_OFFSET = 100_000;
/** A worker that makes no progress for this long is stuck (a batch takes well under 2 s). */
const STUCK_MS = 20_000;

// --- a run's configuration, drawn from its seed ---

interface RunConfig {
  slots: number;
  poolPages: number;
  compressor: string;
  shrinker: boolean;
  shrinkerTargetPercent: number;
  acceptThresholdPercent: number;
  maxCompressionRatio: number;
  incompressible: "reject" | "store-raw";
  writebacksInFlightMax: number;
  whenFull: "reject" | "wait";
  waitMs: number;
  batchMax: number;
  readErrorRate: number;
  writeErrorRate: number;
  tornWriteRate: number;
  nospcAfterWrites: number | undefined;
  healEveryBatches: number;
  latency: LatencyModel | undefined;
  reopenChance: number;
  /** Identical pages stored once (SwapSpace's dedup). */
  dedup: boolean;
  /** zram's tools (markIdle, writebackNow, recompress) issued among the batch's operations. */
  tools: boolean;
  recompressors: string[];
  writebackLimitEnable: boolean;
  /** Some swap-outs are large folios of 4, 8 or 16 pages (swapOutFolio). */
  folios: boolean;
  /** Device slots of the packed region after the slots, 0 for compressed writeback off. */
  packedSlots: number;
  /** The zstd recompressor (when one) uses one of the two dictionaries (recompressorParams). */
  recompressDictionary: number | undefined;
}

function configDraw(r: Random, compressors: readonly string[]): RunConfig {
  const rate = (p: number, max: number) => (r.chance(p) ? r.next() * max : 0);
  return {
    slots: 48 + r.below(208),
    poolPages: 6 + r.below(26),
    compressor: compressors[r.below(compressors.length)]!,
    shrinker: r.chance(0.4),
    shrinkerTargetPercent: 40 + r.below(50),
    acceptThresholdPercent: 50 + r.below(51),
    maxCompressionRatio: 50 + r.below(51),
    incompressible: r.chance(0.3) ? "store-raw" : "reject",
    writebacksInFlightMax: 1 + r.below(16),
    whenFull: r.chance(0.4) ? "wait" : "reject",
    waitMs: 5 + r.below(40),
    batchMax: 1 + r.below(16),
    readErrorRate: rate(0.6, 0.05),
    writeErrorRate: rate(0.6, 0.05),
    tornWriteRate: rate(0.5, 0.05),
    nospcAfterWrites: r.chance(0.25) ? 10 + r.below(200) : undefined,
    healEveryBatches: 1 + r.below(8),
    latency: r.chance(0.3) ? { kind: "uniform", minUs: 0, maxUs: 20 + r.below(300) } : undefined,
    reopenChance: r.chance(0.5) ? 0.004 : 0,
    dedup: r.chance(0.5),
    tools: r.chance(0.5),
    recompressors: compressors.filter((c) => c !== "lz4" && r.chance(0.3)).slice(0, 3),
    writebackLimitEnable: r.chance(0.3),
    folios: r.chance(0.3),
    // Now and then a region so small that it fills, and writeback goes plain.
    packedSlots: r.chance(0.4) ? PACKED_BLOCK_PAGES * (1 + r.below(r.chance(0.3) ? 2 : 32)) : 0,
    recompressDictionary: r.chance(0.5) ? r.below(2) : undefined,
  };
}

// --- pages ---

/** Generated pages (deterministic, unlike captured ones): zero, text, pointers, numbers, random. */
const corpus = generatePages(512, 21);
const corpusZero = corpus.map((p) => p.every((b) => b === 0));
/** Two zstd dictionaries the runs switch between (with a dictionary and without). */
const DICTIONARIES = [0, 1].map((k) =>
  dictionaryTrain(
    corpus.filter((_, i) => i % 2 === k && !corpusZero[i]),
    `model corpus ${k}`,
    8192,
  ),
);
/** The corpus pages drawn as they are, identical to one another's copies. */
const DUPLICATES = 6;

/**
 * A copy of a corpus page with a stamp of the op index, so no two live pages are alike; or, now
 * and then, a page of one repeated 8-byte value, or a corpus page as it is (identical pages, for
 * dedup).
 */
function pageDraw(r: Random, op: number): { page: Uint8Array; zero: boolean } {
  const i = r.below(corpus.length);
  const page = new Uint8Array(corpus[i]);
  if (r.chance(0.05)) {
    const value = [r.below(256), r.below(3), 0, 0, 0, 0, 0, 1 + r.below(255)];
    for (let b = 0; b < PAGE_SIZE; b++) page[b] = value[b % 8]!;
    return { page, zero: false };
  }
  if (r.chance(0.2)) {
    const d = r.below(DUPLICATES); // a few pages, often live at once: dedup finds them
    return { page: new Uint8Array(corpus[d]!), zero: corpusZero[d]! };
  }
  const at = r.below(PAGE_SIZE / 4) * 4;
  if (corpusZero[i]) return { page, zero: true };
  new DataView(page.buffer).setUint32(at, (op * 2654435761) >>> 0 || 1, true);
  return { page, zero: false };
}

/** A page of a folio: pageDraw's, but never all zeros. */
function folioPageDraw(r: Random, op: number): { page: Uint8Array; zero: boolean } {
  const d = pageDraw(r, op);
  if (d.zero) d.page[0] = 1;
  return { page: d.page, zero: false };
}

// --- a device wrapper that knows what is in flight (a checker outside the system) ---

class TrackedDevice implements SwapDevice {
  readonly slots: number;
  readonly describe: string;
  inFlight = 0;
  constructor(readonly inner: FaultyDevice) {
    this.slots = inner.slots;
    this.describe = `tracked ${inner.describe}`;
  }
  private track(p: Promise<void>): Promise<void> {
    this.inFlight++;
    return p.finally(() => {
      this.inFlight--;
    });
  }
  read(slot: SwapOffset, into: Uint8Array): Promise<void> {
    return this.track(this.inner.read(slot, into));
  }
  write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    return this.track(this.inner.write(slot, page));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

// --- checks ---

class ModelFailure extends Error {}

const COUNTER_NAMES = new Set<string>([
  ...Object.keys(ZSWAP_COUNTERS),
  ...Object.keys(SWAP_COUNTERS),
]);

function pagesDiffer(a: Uint8Array, b: Uint8Array): string | undefined {
  if (Buffer.compare(a, b) === 0) return undefined;
  let first = -1;
  let count = 0;
  for (let i = 0; i < PAGE_SIZE; i++) {
    if (a[i] !== b[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  return `${count} bytes differ, first at ${first}`;
}

// --- one run ---

type Op =
  | {
      kind: "out";
      op: number;
      page: Uint8Array;
      zero: boolean;
      fullOk: boolean;
      p: Promise<SwapSlot>;
    }
  | {
      kind: "in";
      op: number;
      slot: number;
      free: boolean;
      into: Uint8Array;
      p: Promise<unknown>;
      /** free(slot) was called right after, while the swap-in may be in flight: its error. */
      drop?: { error: unknown };
    }
  | {
      kind: "folio";
      op: number;
      pages: { page: Uint8Array; zero: boolean }[];
      p: Promise<SwapSlot[]>;
    }
  | { kind: "free"; op: number; slot: number; error: unknown }
  | { kind: "bad"; op: number; slot: number; p: Promise<unknown>; freeError: unknown }
  | { kind: "tool"; op: number; what: string; p: Promise<unknown> };

interface RunResult {
  ops: number;
  /** The most codec threads seen running between batches. */
  threadsSeen: number;
  batches: number;
  reopens: number;
  ioErrors: number;
  stats: Record<string, number>;
}

async function runSeed(
  seed: number,
  opsTarget: number,
  progress: Int32Array,
  threads = 0,
): Promise<RunResult> {
  const r = new Random(seed);
  const cfg = configDraw(r, compressorsAvailable());
  let op = 0;
  const fail = (what: string, at = op): never => {
    throw new ModelFailure(
      `seed ${seed}, op ${at}: ${what}\n  config ${JSON.stringify(cfg)}\n` +
        `  reproduce: ZSWAP_SEED=${seed} ZSWAP_OPS_PER_RUN=${opsTarget}${threads > 0 ? ` ZSWAP_THREADS=${threads}` : ""} node --import tsx --test test/swap/model.test.ts`,
    );
  };
  const model = new Map<number, { page: Uint8Array; zero: boolean }>();
  const mustRetry = new Set<number>();
  let zeroLive = 0;
  let generation = 0;
  let reopens = 0;
  let ioErrors = 0;
  let batches = 0;
  let threadsSeen = 0;
  const totals: Record<string, number> = {};

  const clock = new SimClock();
  // Pages on codec threads are work outside the simulation: time stands still until they are back.
  const simRun = <T>(work: Promise<T>) =>
    clock.run(work, () => (space.stats().swap_codec_jobs ?? 0) > 0);
  let faulty!: FaultyDevice;
  let device!: TrackedDevice;
  let space!: SwapSpace;
  let last: SwapSpaceStats | undefined;

  const open = async () => {
    faulty = new FaultyDevice(new MemoryDevice({ slots: cfg.slots + cfg.packedSlots }), {
      seed: (seed * 31 + generation++) >>> 0,
      readErrorRate: cfg.readErrorRate,
      writeErrorRate: cfg.writeErrorRate,
      tornWriteRate: cfg.tornWriteRate,
      nospcAfterWrites: cfg.nospcAfterWrites,
      latency: cfg.latency,
      clock,
    });
    device = new TrackedDevice(faulty);
    space = await SwapSpace.open({
      slots: cfg.slots,
      device,
      whenFull: cfg.whenFull,
      waitMs: cfg.waitMs,
      clock,
      dedup: cfg.dedup,
      threads,
      zswap: {
        maxPoolBytes: cfg.poolPages * PAGE_SIZE,
        compressor: cfg.compressor,
        shrinkerEnabled: cfg.shrinker,
        shrinkerTargetPercent: cfg.shrinkerTargetPercent,
        acceptThresholdPercent: cfg.acceptThresholdPercent,
        maxCompressionRatio: cfg.maxCompressionRatio,
        incompressible: cfg.incompressible,
        writebacksInFlightMax: cfg.writebacksInFlightMax,
        recompressors: cfg.recompressors,
        writebackLimitEnable: cfg.writebackLimitEnable,
        compressedWriteback: cfg.packedSlots > 0,
        ...(cfg.recompressors.includes("zstd") && cfg.recompressDictionary !== undefined
          ? { recompressorParams: { dictionary: DICTIONARIES[cfg.recompressDictionary] } }
          : {}),
      },
    });
    last = undefined;
  };

  const modelDelete = (slot: number) => {
    if (model.get(slot)!.zero) zeroLive--;
    model.delete(slot);
    mustRetry.delete(slot);
  };

  /** Bounds that hold at every moment, checked as operations are issued and settle. */
  const boundsCheck = (when: string) => {
    const s = space.stats();
    if (s.pool_total_size! > s.pool_limit_bytes!) {
      fail(`${when}: pool_total_size ${s.pool_total_size} > limit ${s.pool_limit_bytes}`);
    }
    if (s.outstanding_writebacks! > cfg.writebacksInFlightMax) {
      fail(
        `${when}: ${s.outstanding_writebacks} writebacks in flight > ${cfg.writebacksInFlightMax}`,
      );
    }
  };

  /** Invariants between batches, when nothing of ours is pending. */
  const batchCheck = () => {
    boundsCheck("after the batch");
    const s = space.stats();
    // Slots freed by their owner stay allocated while dedup's sharers read their page.
    if (s.swap_slots_used !== model.size + s.dedup_held_slots) {
      fail(
        `swap_slots_used ${s.swap_slots_used}, model holds ${model.size} (+${s.dedup_held_slots} held)`,
      );
    }
    if (!cfg.dedup && s.dedup_held_slots + s.dedup_pages !== 0) fail("dedup acted while off");
    if (s.swap_zero_pages !== zeroLive)
      fail(`swap_zero_pages ${s.swap_zero_pages}, model ${zeroLive}`);
    if (s.stored_pages! > model.size - zeroLive) {
      fail(`stored_pages ${s.stored_pages} > ${model.size - zeroLive} live nonzero pages`);
    }
    threadsSeen = Math.max(threadsSeen, s.swap_codec_threads);
    const lru = lruProblem(space.zswap!);
    if (lru !== undefined) fail(lru);
    if (last !== undefined) {
      for (const [k, v] of Object.entries(last)) {
        const now = (s as Record<string, number>)[k];
        if (COUNTER_NAMES.has(k) && now < v) fail(`counter ${k} went down`);
      }
    }
    last = s;
  };

  const wrongPage = (slot: number, into: Uint8Array, opAt: number): never => {
    const want = model.get(slot)!;
    let whose = "";
    for (const [other, v] of model) {
      if (other !== slot && Buffer.compare(v.page, into) === 0)
        whose = ` (it is slot ${other}'s page)`;
    }
    return fail(
      `swapIn(${slot}) returned a wrong page: ${pagesDiffer(into, want.page)}${whose}`,
      opAt,
    );
  };

  const liveSlotPick = (touched: Set<number>, live: number[]): number => {
    for (const s of mustRetry) if (!touched.has(s) && r.chance(0.5)) return s;
    for (let tries = 0; tries < 4 && live.length > 0; tries++) {
      const s = live[r.below(live.length)]!;
      if (!touched.has(s)) return s;
    }
    return -1;
  };

  /**
   * One of zram's tools, on the space's zswap, while swap-ins and swap-outs are in flight:
   * writebackNow runs with them; markIdle and recompress are synchronous.
   */
  const toolIssue = (): Op => {
    const z = space.zswap!;
    const pick = r.below(5);
    let what: string;
    let p: Promise<unknown>;
    try {
      if (pick === 0) {
        const olderThanMs = r.chance(0.5) ? undefined : r.below(3) * IDLE_TICK_MS;
        what = `markIdle(${olderThanMs})`;
        p = Promise.resolve(z.markIdle({ olderThanMs }));
      } else if (pick === 1) {
        const type = RECOMPRESS_TYPES[r.below(RECOMPRESS_TYPES.length)]!;
        what = `recompress(${type})`;
        p = Promise.resolve(z.recompress({ type, threshold: r.chance(0.5) ? 0 : 1500 }));
      } else if (pick === 2) {
        const pages = r.below(16);
        what = `writebackLimitSet(${pages})`;
        p = Promise.resolve(z.writebackLimitSet(pages));
      } else {
        const type = WRITEBACK_TYPES[r.below(WRITEBACK_TYPES.length)]!;
        const maxPages = r.chance(0.5) ? undefined : 1 + r.below(8);
        what = `writebackNow(${type}, ${maxPages})`;
        p = z.writebackNow({ type, maxPages });
      }
    } catch (err) {
      what = "a tool";
      p = Promise.reject(err);
    }
    return { kind: "tool", op, what, p };
  };

  /** Issues one batch; with `closeAfter`, closes the space while it is in flight. */
  const batch = async (closeAfter: boolean) => {
    batches++;
    const ops: Op[] = [];
    const touched = new Set<number>();
    const live = [...model.keys()];
    const sizeAtStart = space.stats().swap_slots_used;
    if (r.chance(0.03) && model.size < cfg.slots) {
      let slot = r.below(cfg.slots);
      while (model.has(slot)) slot = (slot + 1) % cfg.slots;
      op++;
      let freeError: unknown;
      try {
        space.free(slot as SwapSlot);
      } catch (err) {
        freeError = err;
      }
      const p = space.swapIn(slot as SwapSlot, new Uint8Array(PAGE_SIZE));
      ops.push({ kind: "bad", op, slot, p, freeError });
    }
    const n = 1 + r.below(cfg.batchMax);
    /** Pages this batch swaps out beyond one an op: its folios'. */
    let folioPages = 0;
    for (let k = 0; k < n; k++) {
      if (cfg.tools && r.chance(0.1)) {
        op++;
        ops.push(toolIssue());
      }
      op++;
      const fill = model.size / cfg.slots;
      const pOut = fill < 0.3 ? 0.75 : fill > 0.85 ? 0.15 : 0.45;
      const slot = r.chance(pOut) ? -1 : liveSlotPick(touched, live);
      if (slot < 0 && cfg.folios && r.chance(0.15)) {
        // No zero page: one in a folio is a zero bit or not as the folio goes whole or split.
        const pages = Array.from({ length: 4 << r.below(3) }, () => folioPageDraw(r, op));
        folioPages += pages.length - 1;
        ops.push({ kind: "folio", op, pages, p: space.swapOutFolio(pages.map((d) => d.page)) });
      } else if (slot < 0) {
        const { page, zero } = pageDraw(r, op);
        // FULL means every slot is in use: only when this batch's swap-outs could fill the
        // space (a free slot still busy with I/O is waited for, not refused).
        const fullOk = sizeAtStart + n >= cfg.slots;
        ops.push({ kind: "out", op, page, zero, fullOk, p: space.swapOut(page) });
      } else {
        touched.add(slot);
        if (r.chance(0.75)) {
          const into = new Uint8Array(PAGE_SIZE).fill(0xa5);
          const free = r.chance(0.5);
          const p = space.swapIn(slot as SwapSlot, into, { free });
          let drop: { error: unknown } | undefined;
          if (!free && r.chance(0.2)) {
            // The slot is freed while its read may be in flight: the read still returns the
            // page, and the slot is not given to a new page before the read is done.
            drop = { error: undefined };
            try {
              space.free(slot as SwapSlot);
            } catch (err) {
              drop.error = err;
            }
          }
          ops.push({ kind: "in", op, slot, free, into, p, drop });
        } else {
          let error: unknown;
          try {
            space.free(slot as SwapSlot);
          } catch (err) {
            error = err;
          }
          ops.push({ kind: "free", op, slot, error });
        }
      }
      boundsCheck(`issuing op ${op}`);
    }
    // Closed twice: the second call too must resolve only when nothing is in flight.
    if (closeAfter) void space.close();
    const closing = closeAfter ? space.close() : undefined;
    await Promise.allSettled(ops.map((o) => ("p" in o ? o.p : undefined)));
    if (closing !== undefined) await closeCheck(closing);

    const closedOk = (err: unknown) => closeAfter && (err as ZswapError).code === "ZSWAP_E_CLOSED";
    const settled = await Promise.all(
      ops.map(async (o) => {
        if (!("p" in o)) return { ok: true as const, value: undefined };
        try {
          return { ok: true as const, value: await o.p };
        } catch (error) {
          return { ok: false as const, error };
        }
      }),
    );
    // Slots leave the model first: a swapOut may be given a slot freed earlier in the batch.
    for (const [i, o] of ops.entries()) {
      const res = settled[i]!;
      if (o.kind === "bad") {
        if ((o.freeError as ZswapError)?.code !== "ZSWAP_E_SLOT" && !closedOk(o.freeError)) {
          fail(`free(${o.slot}) of a free slot: ${String(o.freeError)}`, o.op);
        }
        if (res.ok || ((res.error as ZswapError).code !== "ZSWAP_E_SLOT" && !closedOk(res.error))) {
          fail(
            `swapIn(${o.slot}) of a free slot: ${res.ok ? "resolved" : String(res.error)}`,
            o.op,
          );
        }
      } else if (o.kind === "tool") {
        if (!res.ok) fail(`${o.what} rejected: ${String(res.error)}`, o.op);
      } else if (o.kind === "free") {
        if (o.error === undefined) modelDelete(o.slot);
        else if (!closedOk(o.error))
          fail(`free(${o.slot}) of a live slot threw ${String(o.error)}`, o.op);
      } else if (o.kind === "in" && o.drop !== undefined) {
        if (res.ok && pagesDiffer(o.into, model.get(o.slot)!.page) !== undefined) {
          wrongPage(o.slot, o.into, o.op);
        }
        if (!res.ok && !(res.error instanceof ZswapIOError) && !closedOk(res.error)) {
          fail(`swapIn(${o.slot}) then free rejected: ${String(res.error)}`, o.op);
        }
        if (o.drop.error === undefined) modelDelete(o.slot);
        else if (!closedOk(o.drop.error)) {
          fail(`free(${o.slot}) after swapIn threw ${String(o.drop.error)}`, o.op);
        }
      } else if (o.kind === "in") {
        if (res.ok) {
          if (pagesDiffer(o.into, model.get(o.slot)!.page) !== undefined)
            wrongPage(o.slot, o.into, o.op);
          if (o.free) modelDelete(o.slot);
          else mustRetry.delete(o.slot);
        } else if (res.error instanceof ZswapIOError || closedOk(res.error)) {
          ioErrors++;
          mustRetry.add(o.slot);
        } else {
          fail(`swapIn(${o.slot}, free ${o.free}) rejected: ${String(res.error)}`, o.op);
        }
      }
    }
    const modelAdd = (slot: number, d: { page: Uint8Array; zero: boolean }, at: number) => {
      if (!Number.isInteger(slot) || slot < 0 || slot >= cfg.slots)
        fail(`swapOut gave slot ${slot}`, at);
      if (model.has(slot)) fail(`swapOut gave slot ${slot}, which is live`, at);
      model.set(slot, d);
      if (d.zero) zeroLive++;
    };
    for (const [i, o] of ops.entries()) {
      if (o.kind !== "folio") continue;
      const res = settled[i]!;
      if (res.ok) {
        const slots = res.value as number[];
        if (slots.length !== o.pages.length) fail(`swapOutFolio gave ${slots.length} slots`, o.op);
        for (const [k, slot] of slots.entries()) modelAdd(slot, o.pages[k]!, o.op);
      } else {
        const fullOk =
          sizeAtStart + n + folioPages >= cfg.slots &&
          (res.error as ZswapError).code === "ZSWAP_E_FULL";
        if (!(res.error instanceof ZswapIOError) && !fullOk && !closedOk(res.error)) {
          fail(`swapOutFolio rejected: ${String(res.error)}`, o.op);
        }
      }
    }
    for (const [i, o] of ops.entries()) {
      if (o.kind !== "out") continue;
      const res = settled[i]!;
      if (res.ok) {
        modelAdd(res.value as number, { page: o.page, zero: o.zero }, o.op);
      } else {
        const fullOk =
          (o.fullOk || sizeAtStart + n + folioPages >= cfg.slots) &&
          (res.error as ZswapError).code === "ZSWAP_E_FULL";
        if (!(res.error instanceof ZswapIOError) && !fullOk && !closedOk(res.error)) {
          fail(`swapOut rejected: ${String(res.error)}`, o.op);
        }
      }
    }
  };

  /** Every live slot reads back its page; a device read failure is retried until it passes. */
  const verifyAll = async () => {
    for (const [slot, want] of model) {
      for (let attempt = 0; ; attempt++) {
        op++;
        const into = new Uint8Array(PAGE_SIZE).fill(0x5a);
        try {
          await space.swapIn(slot as SwapSlot, into);
        } catch (err) {
          if (err instanceof ZswapIOError && attempt < 100) continue;
          fail(`verify: swapIn(${slot}) rejected after ${attempt} retries: ${String(err)}`);
        }
        const diff = pagesDiffer(into, want.page);
        if (diff !== undefined) wrongPage(slot, into, op);
        break;
      }
    }
    mustRetry.clear();
    batchCheck();
  };

  /** close() resolves, with no I/O of the space left in flight, and the device closes too. */
  const closeCheck = async (closing: Promise<void>) => {
    await simRun(closing); // a close that never resolves is a stuck simulation: an error
    const s = space.stats();
    if (s.swap_io_in_flight !== 0) fail(`closed with ${s.swap_io_in_flight} I/Os in flight`);
    if (s.outstanding_writebacks !== 0)
      fail(`closed with ${s.outstanding_writebacks} writebacks in flight`);
    if (device.inFlight !== 0) fail(`closed with ${device.inFlight} device I/Os in flight`);
    for (const k of COUNTER_NAMES) totals[k] = (totals[k] ?? 0) + (s as Record<string, number>)[k]!;
    for (const counts of Object.values(space.folioStats())) {
      for (const [k, v] of Object.entries(counts))
        totals[`mthp_${k}`] = (totals[`mthp_${k}`] ?? 0) + v;
    }
    await faulty.close();
  };

  Atomics.store(progress, 0, seed);
  Atomics.store(progress, 1, 0);
  await open();
  while (op < opsTarget) {
    if (cfg.nospcAfterWrites !== undefined && batches % cfg.healEveryBatches === 0) faulty.heal();
    const change = r.below(200);
    if (change === 0) {
      space.zswap!.configure({
        compressor: compressorsAvailable()[r.below(compressorsAvailable().length)],
      });
    } else if (change === 1) {
      const dictionary = DICTIONARIES[r.below(DICTIONARIES.length)];
      space.zswap!.configure({ compressor: "zstd", compressorParams: { dictionary } });
    }
    if (r.chance(cfg.reopenChance)) {
      reopens++;
      const midBatch = r.chance(0.5);
      if (midBatch) {
        await simRun(batch(true));
      } else {
        await simRun(verifyAll());
        await closeCheck(space.close());
      }
      for (const slot of [...model.keys()]) modelDelete(slot);
      await open();
      continue;
    }
    await simRun(batch(false));
    batchCheck();
    Atomics.store(progress, 0, seed);
    Atomics.store(progress, 1, op);
    Atomics.add(progress, 2, 1);
  }
  await simRun(verifyAll());
  await closeCheck(space.close());
  return { ops: op, threadsSeen, batches, reopens, ioErrors, stats: totals };
}

// --- worker side: run the seeds given, report each ---

interface WorkerJob {
  seeds: number[];
  opsPerRun: number;
  threads: number;
  progress: SharedArrayBuffer;
}

if (!isMainThread && (workerData as { model?: WorkerJob }).model !== undefined) {
  const job = (workerData as { model: WorkerJob }).model;
  const progress = new Int32Array(job.progress);
  for (const seed of job.seeds) {
    try {
      const res = await runSeed(seed, job.opsPerRun, progress, job.threads);
      parentPort!.postMessage({ kind: "run", seed, res });
    } catch (err) {
      parentPort!.postMessage({
        kind: "fail",
        seed,
        message:
          err instanceof ModelFailure ? err.message : `seed ${seed}: ${(err as Error).stack}`,
      });
      break;
    }
  }
  parentPort!.postMessage({ kind: "end" });
}

// --- main side: spread the seeds over workers, watch them ---

const workersLive = new Set<Worker>();

function workerRun(job: WorkerJob, onRun: (seed: number, res: RunResult) => void): Promise<void> {
  const tsx = import.meta.resolve("tsx/esm/api");
  const code =
    `const { workerData } = require("node:worker_threads");` +
    `import(workerData.tsx).then((m) => { m.register(); return import(workerData.url); });`;
  const w = new Worker(code, { eval: true, workerData: { tsx, url: import.meta.url, model: job } });
  workersLive.add(w);
  const progress = new Int32Array(job.progress);
  return new Promise<void>((resolve, reject) => {
    let beat = -1;
    let still = 0;
    const watch = setInterval(() => {
      const now = Atomics.load(progress, 2);
      still = now === beat ? still + 1000 : 0;
      beat = now;
      if (still >= STUCK_MS) {
        clearInterval(watch);
        void w.terminate();
        const seed = Atomics.load(progress, 0);
        const op = Atomics.load(progress, 1);
        reject(
          new Error(
            `stuck for ${STUCK_MS} ms (the event loop never came back: an infinite loop?) in seed ${seed}` +
              ` after op ${op}\n` +
              `  reproduce: ZSWAP_SEED=${seed} node --import tsx --test test/swap/model.test.ts`,
          ),
        );
      }
    }, 1000);
    w.on("message", (m: { kind: string; seed: number; res: RunResult; message: string }) => {
      if (m.kind === "run") onRun(m.seed, m.res);
      if (m.kind === "fail") {
        clearInterval(watch);
        void w.terminate();
        reject(new Error(m.message));
      }
      if (m.kind === "end") {
        clearInterval(watch);
        void w.terminate();
        resolve();
      }
    });
    w.on("error", (err) => {
      clearInterval(watch);
      reject(err);
    });
    w.on("exit", () => {
      clearInterval(watch);
      reject(new Error("the worker exited before it reported its end"));
    });
  }).finally(() => workersLive.delete(w));
}

if (isMainThread) {
  it("a seed replays the same run exactly (virtual time, no real I/O)", async () => {
    const progress = new Int32Array(new SharedArrayBuffer(12));
    const first = await runSeed(SEED_BASE, 2000, progress);
    const second = await runSeed(SEED_BASE, 2000, progress);
    assert.ok(first.stats.zswpout! > 0 && first.batches > 0, JSON.stringify(first));
    assert.deepEqual(second, first);
  });

  // Codec threads take pages off the run's thread and back in an order the run does not choose:
  // the counters of a seed may differ run to run, what is checked may not (nothing lost, bounds,
  // counters that only go up). Time stands still while pages are on the threads (simRun).
  it(`threads on: ${THREADED_RUNS} seeded runs of ${THREADED_OPS_PER_RUN} ops, 2 codec threads: nothing lost`, async () => {
    const progress = new Int32Array(new SharedArrayBuffer(12));
    let threadsSeen = 0;
    let zswpin = 0;
    let writebackReads = 0;
    for (let i = 0; i < THREADED_RUNS; i++) {
      const seed = SEED_BASE + THREADED_SEED_OFFSET + i;
      const res = await runSeed(seed, THREADED_OPS_PER_RUN, progress, 2);
      threadsSeen = Math.max(threadsSeen, res.threadsSeen);
      zswpin += res.stats.zswpin!;
      writebackReads += res.stats.swap_codec_writeback_reads;
    }
    assert.equal(threadsSeen, 2, "the runs went to the codec threads");
    assert.ok(zswpin > 0);
    assert.ok(writebackReads > 0, "writeback decompressed zstd or deflate pages on the threads");
  });

  const seeds =
    SEED_ONE !== undefined
      ? [SEED_ONE]
      : Array.from(
          { length: Math.max(1, Math.ceil(OPS_TOTAL / OPS_PER_RUN)) },
          (_, i) => SEED_BASE + i,
        );
  const workers = Math.min(seeds.length, Math.max(1, Math.min(2, availableParallelism())));
  it(`${seeds.length} seeded runs of ${OPS_PER_RUN} ops, ${workers} workers: nothing lost`, async () => {
    const totals: Record<string, number> = {};
    let ops = 0;
    let reopens = 0;
    let ioErrors = 0;
    const jobs = Array.from({ length: workers }, (_, w) => ({
      seeds: seeds.filter((_, i) => i % workers === w),
      opsPerRun: OPS_PER_RUN,
      threads: THREADS,
      progress: new SharedArrayBuffer(12),
    }));
    let runs = 0;
    // The first failure ends the test: the other workers are stopped, not waited for.
    const all = Promise.all(
      jobs.map((job) =>
        workerRun(job, (_seed, res) => {
          runs++;
          ops += res.ops;
          reopens += res.reopens;
          ioErrors += res.ioErrors;
          for (const [k, v] of Object.entries(res.stats)) totals[k] = (totals[k] ?? 0) + v;
        }),
      ),
    );
    await all.catch(async (err) => {
      await Promise.all([...workersLive].map((w) => w.terminate()));
      throw err;
    });
    assert.equal(runs, seeds.length);
    // The runs did what they are for: writeback, faults and every path, many times over.
    const t = totals;
    const summary = `${ops} ops, ${reopens} reopens, ${ioErrors} swapIn I/O errors; ${JSON.stringify(t)}`;
    assert.ok(ops >= seeds.length * OPS_PER_RUN, summary);
    assert.ok(t.written_back_pages > 0 && t.zswpin > 0 && t.pswpin > 0 && t.pswpout > 0, summary);
    assert.ok(t.swpin_zero > 0 && t.swpout_zero > 0, summary);
    assert.ok(t.swpin_same > 0 && t.swpout_same > 0, summary);
    if (seeds.length >= 20) assert.ok(t.dedup_pages_saved > 0 && t.bd_packed_writes > 0, summary);
    if (seeds.length >= 20) {
      assert.ok(t.writeback_fail > 0 && ioErrors > 0 && reopens > 0, summary);
      assert.ok(t.saved_by_writeback > 0 && t.duplicate_entry === 0, summary);
      assert.ok(t.mthp_zswpout > 0 && t.mthp_swpout > 0 && t.mthp_swpout_fallback > 0, summary);
    }
    console.log(`# model: ${summary}`);
  });
}
