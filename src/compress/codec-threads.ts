// Codec threads: worker_threads that compress and decompress pages for one owner (a swap space),
// handed work through the job ring in shared memory (job-ring.ts), never a message per page.
// The owner keeps everything else (index, LRU, allocator): it takes a job slot, copies its
// input in, pushes the job, and is called back on its own thread, in the order it pushed, with
// the result and the slot's output, which it copies out before the callback returns.
//
// Rules the owner relies on:
//   1. callbacks run in push order, so what the owner does with results (store them) happens in
//      the order it asked, however the threads' work interleaves;
//   2. a push is published at once (a thread still spinning after its last job takes it then),
//      but a thread asleep is woken at most once per turn of the event loop, in an immediate
//      (after the turn's callbacks and their microtasks, which push more): a wake is a futex
//      call, the main thread's largest cost per page when it came per push (threads bench:
//      publishing at once took a swap-out 64 in flight on 2 threads from 15 to 10-11 µs of
//      main-thread time a page);
//   3. a thread that dies fails the jobs it held (RESULT_THREAD_DIED) and takes no more; the
//      others go on; with none left, take() says so and the owner works inline;
//   4. at most CODEC_JOBS_MAX jobs are out at once: take() returns -1 beyond that.

import { Worker } from "node:worker_threads";
import { assert } from "../assert.ts";
import { CODEC_DRAIN_JOBS_MAX, CODEC_JOBS_MAX, PAGE_SIZE } from "../constants.ts";
import {
  BELL,
  CTL_DONE,
  CTL_STOP,
  headAt,
  jobRingNew,
  QUEUE,
  RESULT_THREAD_DIED,
  SLEEP,
  SLOT_ARG,
  SLOT_CODEC,
  SLOT_OP,
  SLOT_RESULT,
  SLOT_STATE,
  STATE_DONE,
  STATE_QUEUED,
  slotAt,
  slotBytesAt,
} from "./job-ring.ts";

/** Atomics.waitAsync: ES2024, in V8 since Node 16, missing from the ES2022 library types. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      at: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/**
 * Called on the owner's thread with a job's RESULT and its slot, which is free again once this
 * returns.
 */
export type JobDone = (result: number, s: number) => void;

/** The thread's module, beside this one: .ts under a TypeScript loader, .js once compiled. */
const THREAD_URL = new URL(
  `./codec-thread${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`,
  import.meta.url,
);

/**
 * Run from TypeScript sources (tests, benchmarks), a thread registers the loader itself: on
 * Node 20 the loader the process was started with (`--import tsx`) does not reach workers.
 */
function threadStart(workerData: object): Worker {
  if (!THREAD_URL.pathname.endsWith(".ts")) return new Worker(THREAD_URL, { workerData });
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const main = JSON.stringify(THREAD_URL.href);
  const code = `import(${tsx}).then((tsx) => { tsx.register(); return import(${main}); })`;
  return new Worker(code, { eval: true, workerData });
}

export class CodecThreads {
  readonly #ctl: Int32Array;
  readonly #shared: { ctl: SharedArrayBuffer; data: SharedArrayBuffer };
  readonly #workers: (Worker | undefined)[];
  /** Jobs pushed to each thread and not yet called back; -1 once the thread is dead. */
  readonly #held: Int32Array;
  /** Per thread: HEAD as pushed (and published), and as it was at the last ring. */
  readonly #heads: Int32Array;
  readonly #rung: Int32Array;
  readonly #ins: Uint8Array[] = [];
  readonly #outs: Uint8Array[] = [];
  readonly #free: number[] = [];
  readonly #thread = new Int8Array(CODEC_JOBS_MAX);
  readonly #done: (JobDone | undefined)[] = new Array(CODEC_JOBS_MAX).fill(undefined);
  /** Slots pushed and not called back, in push order: a ring of CODEC_JOBS_MAX. */
  readonly #order = new Int32Array(CODEC_JOBS_MAX);
  #orderHead = 0;
  #pending = 0;
  #alive: number;
  #doorbell = false;
  #waiting = false;
  #closing: Promise<void> | undefined;
  /** close() waiting for the jobs out. */
  readonly #idle: (() => void)[] = [];
  readonly #exited: Promise<void>[] = [];
  /** Per thread, why it died: its uncaught error, or its exit. */
  readonly #deaths: unknown[] = [];

  constructor(readonly threads: number) {
    assert(threads >= 1, "one codec thread at least");
    this.#shared = jobRingNew(threads);
    this.#ctl = new Int32Array(this.#shared.ctl);
    const bytes = new Uint8Array(this.#shared.data);
    for (let s = CODEC_JOBS_MAX - 1; s >= 0; s--) this.#free.push(s);
    for (let s = 0; s < CODEC_JOBS_MAX; s++) {
      const at = slotBytesAt(s);
      this.#ins.push(bytes.subarray(at, at + PAGE_SIZE));
      this.#outs.push(bytes.subarray(at + PAGE_SIZE, at + 2 * PAGE_SIZE));
    }
    this.#held = new Int32Array(threads);
    this.#heads = new Int32Array(threads);
    this.#rung = new Int32Array(threads);
    this.#alive = threads;
    this.#workers = Array.from({ length: threads }, (_, t) => this.#start(t));
  }

  #start(t: number): Worker {
    const w = threadStart({ ...this.#shared, threads: this.threads, thread: t });
    w.unref(); // held only while jobs are out (#pending), so a forgotten close() ends nothing early
    w.on("error", (err) => (this.#deaths[t] ??= err)); // kept for the calls it fails: #died
    this.#exited.push(
      new Promise((resolve) =>
        w.once("exit", (code) => {
          this.#deaths[t] ??= new Error(`the thread exited with code ${code}`);
          resolve(this.#died(t));
        }),
      ),
    );
    return w;
  }

  /** Jobs out now (pushed and not called back). */
  get pending(): number {
    return this.#pending;
  }

  /** Threads still running. */
  get alive(): number {
    return this.#alive;
  }

  /** Why the thread that held slot s died, inside a RESULT_THREAD_DIED callback of slot s. */
  deathOf(s: number): unknown {
    return this.#deaths[this.#thread[s]];
  }

  /** A free job slot, or -1 when all are out or no thread is left. */
  take(): number {
    if (this.#alive === 0 || this.#closing !== undefined) return -1;
    return this.#free.pop() ?? -1;
  }

  /** Gives back a slot taken and not pushed. */
  untake(s: number): void {
    this.#free.push(s);
  }

  /** Slot s's IN: a page to compress, or the compressed bytes to decompress. */
  input(s: number): Uint8Array {
    return this.#ins[s];
  }

  /**
   * Slot s's OUT, its first PAGE_SIZE bytes: the page, or the compressed bytes (a compress job's
   * limit is a page at most). Valid inside the job's callback only.
   */
  output(s: number): Uint8Array {
    return this.#outs[s];
  }

  /** Pushes the job in slot s (op, codec id, argument: see job-ring.ts) to the least held thread. */
  push(s: number, op: number, codec: number, arg: number, done: JobDone): void {
    const t = this.#leastHeld();
    const w = slotAt(this.threads, s);
    const c = this.#ctl;
    c[w + SLOT_OP] = op;
    c[w + SLOT_CODEC] = codec;
    c[w + SLOT_ARG] = arg;
    c[w + SLOT_STATE] = STATE_QUEUED;
    c[headAt(t) + QUEUE + (this.#heads[t] & (CODEC_JOBS_MAX - 1))] = s;
    this.#heads[t] = (this.#heads[t] + 1) | 0;
    this.#thread[s] = t;
    this.#done[s] = done;
    this.#held[t]++;
    this.#order[(this.#orderHead + this.#pending) & (CODEC_JOBS_MAX - 1)] = s;
    if (this.#pending++ === 0) for (const wk of this.#workers) wk?.ref();
    // DONE is read before the job is published: read after, it could count this job already
    // done, and the wait would wait for one more that may never come.
    if (!this.#waiting) this.#wait(Atomics.load(c, CTL_DONE));
    Atomics.store(c, headAt(t), this.#heads[t]); // a thread still spinning takes it now
    if (!this.#doorbell) {
      this.#doorbell = true;
      setImmediate(() => this.#ring());
    }
  }

  #leastHeld(): number {
    let best = -1;
    for (let t = 0; t < this.threads; t++) {
      const h = this.#held[t];
      if (h >= 0 && (best < 0 || h < this.#held[best])) best = t;
    }
    assert(best >= 0, "a job is pushed only while a thread is alive (take)");
    return best;
  }

  /** Wakes every thread that has jobs pushed since the last ring and sleeps. */
  #ring(): void {
    this.#doorbell = false;
    for (let t = 0; t < this.threads; t++) {
      if (this.#held[t] < 0 || this.#rung[t] === this.#heads[t]) continue;
      this.#rung[t] = this.#heads[t];
      if (Atomics.load(this.#ctl, headAt(t) + SLEEP) !== 0) this.#bell(t);
    }
  }

  /** Wakes thread t if it sleeps, or keeps it from sleeping if it is about to (job-ring.ts). */
  #bell(t: number): void {
    Atomics.add(this.#ctl, headAt(t) + BELL, 1);
    Atomics.notify(this.#ctl, headAt(t) + BELL);
  }

  /**
   * Waits for DONE to move, off the owner's thread, while jobs are out. DONE is read before the
   * jobs are looked at, so a job finished after the look moves DONE past what is waited on.
   */
  #wait(seen: number): void {
    if (this.#pending === 0) {
      this.#waiting = false;
      for (const wake of this.#idle.splice(0)) wake();
      return;
    }
    this.#waiting = true;
    const w = waitAsync(this.#ctl, CTL_DONE, seen);
    if (w.async) void w.value.then(() => this.#woken());
    else queueMicrotask(() => this.#woken());
  }

  #woken(): void {
    const seen = Atomics.load(this.#ctl, CTL_DONE);
    if (this.#drain()) this.#wait(seen);
    else setImmediate(() => this.#woken()); // more are done: after the loop has turned
  }

  /**
   * Calls back the finished jobs at the front of the push order, at most CODEC_DRAIN_JOBS_MAX:
   * their callbacks store pages and push more, and the loop must turn meanwhile. False when it
   * stopped there.
   */
  #drain(): boolean {
    const c = this.#ctl;
    for (let n = 0; this.#pending > 0; n++) {
      if (n === CODEC_DRAIN_JOBS_MAX) return false;
      const s = this.#order[this.#orderHead];
      const w = slotAt(this.threads, s);
      const state = Atomics.load(c, w + SLOT_STATE);
      const dead = this.#held[this.#thread[s]] < 0;
      if (state !== STATE_DONE && !dead) return true;
      this.#orderHead = (this.#orderHead + 1) & (CODEC_JOBS_MAX - 1);
      this.#pending--;
      if (!dead) this.#held[this.#thread[s]]--;
      const done = this.#done[s]!;
      this.#done[s] = undefined;
      c[w + SLOT_STATE] = 0;
      try {
        done(state === STATE_DONE ? c[w + SLOT_RESULT] : RESULT_THREAD_DIED, s);
      } finally {
        this.#free.push(s);
      }
    }
    for (const wk of this.#workers) wk?.unref();
    return true;
  }

  /**
   * Thread t exited: it takes no more jobs, and those it held and did not finish fail (#drain
   * sees the thread dead). A job it finished before it died keeps its result.
   */
  #died(t: number): void {
    this.#workers[t] = undefined;
    if (this.#held[t] < 0) return;
    this.#held[t] = -1;
    this.#alive--;
    if (this.#pending > 0) this.#woken();
  }

  /** Stops the threads once the jobs out are called back. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#stop();
    return this.#closing;
  }

  async #stop(): Promise<void> {
    if (this.#pending > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    for (const wk of this.#workers) wk?.ref(); // until they exit
    Atomics.store(this.#ctl, CTL_STOP, 1);
    for (let t = 0; t < this.threads; t++) this.#bell(t);
    Atomics.notify(this.#ctl, CTL_DONE); // ends a wait left from the last job
    await Promise.all(this.#exited);
  }

  /** @internal For tests: thread t's worker, to terminate it. */
  static unsafeWorker(threads: CodecThreads, t: number): Worker | undefined {
    return threads.#workers[t];
  }
}
