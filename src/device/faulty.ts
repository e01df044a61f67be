// A fault-injecting wrapper over any swap device, for simulation: failed reads and writes, torn
// writes, a full disk, and latency, all chosen from one seed.
//
// Reproducibility: every fault is decided during the call, before its first await, from a PRNG
// seeded with `seed`; each read takes one number from it and each write three, whatever the
// rates. So the same seed and the same sequence of calls give the same faults, however the I/Os
// interleave and whatever their latencies (which come from a second PRNG, seeded from `seed`).
//
// The faults, checked in this order for a write:
// 1. ENOSPC: once `nospcAfterWrites` writes have passed the wrapper (counted at call time, so a
//    failure of the inner device itself still counts), every write fails with ENOSPC and the
//    slot is left untouched, until heal() frees the space (the count starts again from zero).
// 2. Failed write: EIO, and the slot is left untouched (the inner device is not called). The
//    SwapDevice contract allows any bytes after a failed write; torn writes cover the other case.
// 3. Torn write: only the first k * 512 bytes of the page (k in 1..7, drawn from the seed)
//    reach the inner device, over the slot's old bytes, then the promise rejects with EIO. A torn
//    write is always reported, like a real failed bio; it is never a silent success.
// A failed read rejects with EIO without calling the inner device, so `into` is untouched.

import { type Clock, clockCheck } from "../clock.ts";
import { PAGE_SIZE } from "../constants.ts";
import { ZswapIOError, ZswapOptionError } from "../errors.ts";
import { Random } from "../random.ts";
import type { SwapOffset } from "../types.ts";

import { deviceCheck } from "./check.ts";
import type { SwapDevice } from "./device.ts";
import {
  type LatencyModel,
  latencyDescribe,
  latencyDrawUs,
  latencyModelCheck,
  latencyWait,
} from "./latency.ts";
import { PageDevice } from "./page-device.ts";

/** Bytes of one sector: a torn write keeps a whole number of them. */
const SECTOR_BYTES = 512;
/** Mixed into the seed for the latency PRNG, so latencies and faults are independent streams. */
const LATENCY_SEED_MIX = 0x9e3779b9;

export interface FaultyDeviceOptions {
  /** Seeds every fault and latency; print it with a failing run to reproduce it. */
  seed: number;
  /** Probability 0..1 that a read fails with EIO; default 0. */
  readErrorRate?: number;
  /** Probability 0..1 that a write fails with EIO, slot untouched; default 0. */
  writeErrorRate?: number;
  /** Probability 0..1 that a write is torn (partly written, then EIO); default 0. */
  tornWriteRate?: number;
  /** Successful writes before the device is full (ENOSPC until heal()); default never full. */
  nospcAfterWrites?: number | undefined;
  /** Latency of every read and write; default none (only the inner device's own). */
  latency?: LatencyModel;
  /** The clock latency is waited on (a simulation's virtual clock); default real time. */
  clock?: Clock;
}

/** What the wrapper did; each counter moves during the call that it counts. */
export interface FaultCounters {
  /** A read was accepted (valid arguments, device open), whatever became of it. */
  reads: number;
  /** A write was accepted (valid arguments, device open), whatever became of it. */
  writes: number;
  /** A read was failed with EIO; the inner device was not called. */
  readErrors: number;
  /** A write was failed with EIO; the slot was left untouched. */
  writeErrors: number;
  /** A write was torn: its first sectors reached the inner device, then it failed with EIO. */
  tornWrites: number;
  /** A write was refused with ENOSPC because the device was full; the slot was left untouched. */
  nospc: number;
}

type WriteFate = { kind: "pass" } | { kind: "nospc" | "eio" } | { kind: "torn"; bytes: number };

export class FaultyDevice extends PageDevice {
  readonly slots: number;
  readonly describe: string;
  readonly seed: number;
  private readonly readErrorRate: number;
  private readonly writeErrorRate: number;
  private readonly tornWriteRate: number;
  private readonly nospcAfterWrites: number | undefined;
  private readonly latency: LatencyModel | undefined;
  private readonly clock: Clock | undefined;
  private readonly faultRandom: Random;
  private readonly latencyRandom: Random;
  /** Writes that passed since open or the last heal(), for the ENOSPC budget. */
  private writesPassed = 0;
  private readonly count: FaultCounters = {
    reads: 0,
    writes: 0,
    readErrors: 0,
    writeErrors: 0,
    tornWrites: 0,
    nospc: 0,
  };
  /** Wraps `inner`, which it then owns: close() closes it. */
  constructor(
    readonly inner: SwapDevice,
    options: FaultyDeviceOptions,
  ) {
    super();
    deviceCheck(inner);
    if (typeof options !== "object" || options === null) {
      throw new ZswapOptionError("FaultyDevice needs an options object");
    }
    if (options.clock !== undefined) clockCheck(options.clock);
    const { seed, nospcAfterWrites, latency } = options;
    if (!Number.isInteger(seed)) {
      throw new ZswapOptionError(`seed must be an integer, got ${seed}`);
    }
    if (
      nospcAfterWrites !== undefined &&
      (!Number.isInteger(nospcAfterWrites) || nospcAfterWrites < 0)
    ) {
      throw new ZswapOptionError(
        `nospcAfterWrites must be an integer >= 0, got ${nospcAfterWrites}`,
      );
    }
    if (latency !== undefined) latencyModelCheck(latency);
    this.seed = seed;
    this.readErrorRate = rateCheck("readErrorRate", options.readErrorRate);
    this.writeErrorRate = rateCheck("writeErrorRate", options.writeErrorRate);
    this.tornWriteRate = rateCheck("tornWriteRate", options.tornWriteRate);
    this.nospcAfterWrites = nospcAfterWrites;
    this.latency = latency;
    this.clock = options.clock;
    this.faultRandom = new Random(seed);
    this.latencyRandom = new Random((seed ^ LATENCY_SEED_MIX) >>> 0);
    this.slots = inner.slots;
    this.describe = `faulty (${this.faultsDescribe()}) over ${inner.describe}`;
  }

  /** A snapshot of what the wrapper did so far. */
  get counters(): Readonly<FaultCounters> {
    return { ...this.count };
  }

  /** Frees the full device: writes pass again, for another nospcAfterWrites writes. */
  heal(): void {
    this.writesPassed = 0;
  }

  // Faults and latency are drawn during the call (the synchronous part), in call order.
  protected async pageRead(slot: SwapOffset, into: Uint8Array): Promise<void> {
    this.count.reads++;
    const fails = this.faultRandom.chance(this.readErrorRate);
    if (fails) this.count.readErrors++;
    const latencyUs = this.latencyDraw();
    const ordinal = this.count.reads;
    await this.latencyWait(latencyUs);
    if (fails) throw this.injectedError(`read #${ordinal} of slot ${slot} failed`, "EIO");
    await this.inner.read(slot, into);
  }

  protected async pageWrite(slot: SwapOffset, page: Uint8Array): Promise<void> {
    this.count.writes++;
    const fate = this.writeFateDraw();
    const latencyUs = this.latencyDraw();
    const ordinal = this.count.writes;
    await this.latencyWait(latencyUs);
    const what = `write #${ordinal} of slot ${slot}`;
    switch (fate.kind) {
      case "pass":
        return this.inner.write(slot, page);
      case "nospc":
        throw this.injectedError(`${what} failed: device full`, "ENOSPC");
      case "eio":
        throw this.injectedError(`${what} failed`, "EIO");
      case "torn":
        await this.tornWrite(slot, page, fate.bytes);
        throw this.injectedError(`${what} torn after ${fate.bytes} bytes`, "EIO");
    }
  }

  /** Waits `us` on the device's clock: real time, or the simulation's. */
  private latencyWait(us: number): Promise<void> {
    const clock = this.clock;
    if (clock === undefined) return latencyWait(us);
    return us > 0
      ? new Promise((resolve) => clock.setTimeout(resolve, us / 1000))
      : Promise.resolve();
  }

  /** Closes the inner device, once the wrapper's own I/O settled. */
  protected shutdown(): Promise<void> {
    return this.inner.close();
  }

  /** Decides a write's fault; always takes three numbers from the fault PRNG. */
  private writeFateDraw(): WriteFate {
    const eio = this.faultRandom.chance(this.writeErrorRate);
    const torn = this.faultRandom.chance(this.tornWriteRate);
    const sectors = 1 + this.faultRandom.below(PAGE_SIZE / SECTOR_BYTES - 1);
    if (this.nospcAfterWrites !== undefined && this.writesPassed >= this.nospcAfterWrites) {
      this.count.nospc++;
      return { kind: "nospc" };
    }
    if (eio) {
      this.count.writeErrors++;
      return { kind: "eio" };
    }
    if (torn) {
      this.count.tornWrites++;
      return { kind: "torn", bytes: sectors * SECTOR_BYTES };
    }
    this.writesPassed++;
    return { kind: "pass" };
  }

  private latencyDraw(): number {
    return this.latency === undefined ? 0 : latencyDrawUs(this.latency, this.latencyRandom);
  }

  /** Puts the first `bytes` of `page` over the slot's old bytes in the inner device. */
  private async tornWrite(slot: SwapOffset, page: Uint8Array, bytes: number): Promise<void> {
    const mixed = new Uint8Array(PAGE_SIZE);
    await this.inner.read(slot, mixed);
    mixed.set(page.subarray(0, bytes));
    await this.inner.write(slot, mixed);
  }

  private injectedError(what: string, errno: string): ZswapIOError {
    return new ZswapIOError(`${what} (injected, seed ${this.seed})`, errno);
  }

  private faultsDescribe(): string {
    const parts = [
      `seed ${this.seed}`,
      `readErrorRate ${this.readErrorRate}`,
      `writeErrorRate ${this.writeErrorRate}`,
      `tornWriteRate ${this.tornWriteRate}`,
      this.nospcAfterWrites === undefined
        ? "never full"
        : `ENOSPC after ${this.nospcAfterWrites} writes`,
      this.latency === undefined ? "no added latency" : `latency ${latencyDescribe(this.latency)}`,
    ];
    return parts.join(", ");
  }
}

function rateCheck(name: string, rate: number | undefined): number {
  if (rate === undefined) return 0;
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) {
    throw new ZswapOptionError(`${name} must be in 0..1, got ${rate}`);
  }
  return rate;
}
