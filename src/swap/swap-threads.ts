// A swap space's codec threads: when a swap goes off the caller's thread, and the promise of a
// job. The threads themselves, and their queue in shared memory, are compress/'s CodecThreads;
// what a result means for a slot stays in swap-space.ts.
//
// A compression goes off-thread when others are in flight with it: a job is out already, or
// another call came before the microtasks ran dry, or it is part of a batch (swapOutMany). A
// call alone runs on its own thread: a hand-off and a wake-up cost more than a page's codec
// work, so one awaited swap at a time is fastest inline. A decompression by a codec that
// decompresses faster than a hand-off costs (DECOMPRESS_INLINE) always runs inline.
//
// Inline work is bounded per turn of the event loop: at most CODEC_INLINE_PAGES_PER_TURN pages
// compressed, CODEC_INLINE_DECOMPRESS_SHARE times as many decompressed, so a caller that chains
// calls in microtasks does not hold the loop. Past that, a call that would run inline waits for
// a later turn (`later`), and so does every call after it while one waits; in that turn they
// run in call order, inline if one waits alone, on the threads if several wait together: a
// turn of the loop costs less than a hand-off per page (threads bench: one awaited swap-in at a
// time 0.5 of Zswap.load when the overflow went to the threads, 0.83 now). Calls run inline only
// when no job is out, or wait in call order, so zswap's stores happen in the order of the calls
// (CodecThreads calls back in push order); only a full queue (CODEC_JOBS_MAX jobs out) sends a
// call inline ahead of jobs still out.

import { CodecThreads, compressorId, RESULT_THREAD_DIED } from "../compress/index.ts";
import {
  CODEC_INLINE_DECOMPRESS_SHARE,
  CODEC_INLINE_PAGES_PER_TURN,
  CODEC_JOBS_MAX,
} from "../constants.ts";
import { ZswapThreadError } from "../errors.ts";

/** A turn's inline budget, in shares: a page's decompression takes one, its compression more. */
export const SHARES_DECOMPRESS = 1;
export const SHARES_COMPRESS = CODEC_INLINE_DECOMPRESS_SHARE;
const TURN_SHARES = CODEC_INLINE_PAGES_PER_TURN * SHARES_COMPRESS;

/**
 * Codecs whose decompression stays on the caller's thread: lz4 decompresses a page in about
 * 2 µs, less than a swap-in's own work to hand it over and take it back (threads bench: a
 * swap-in 64 in flight cost the main thread 3.4-4.4 µs a page off-thread, 2.2 µs inline with
 * the decompression).
 */
const DECOMPRESS_INLINE: ReadonlySet<number> = new Set([
  compressorId("lz4"),
  compressorId("lz4hc"),
]);

/** take's answer for a call that waits for a later turn (see `later`). */
export const JOB_LATER = -2;

/** A call waiting for a later turn (SwapThreads.later). */
interface Waiting {
  /** Shares of the turn's budget its work takes inline. */
  shares: number;
  /** Whether its work may go to a thread (a compression, a codec not in DECOMPRESS_INLINE). */
  threadable: boolean;
  /** Runs it: on a thread with job slot `job`, or inline with -1. */
  run: (job: number) => void;
}

export class SwapThreads {
  #codec: CodecThreads | undefined;
  /** Calls since the microtasks last ran dry; a microtask sets it back to 0. */
  #calls = 0;
  /** Shares of TURN_SHARES spent inline in this turn of the event loop; #turn sets it back to 0. */
  #turnInline = 0;
  #turnSet = false;
  /** Calls waiting for a later turn, in call order. */
  readonly #later: Waiting[] = [];
  /** Per job slot, the callback of the job in it. */
  readonly #dones: (((result: number, output: Uint8Array) => void) | undefined)[] = new Array(
    CODEC_JOBS_MAX,
  ).fill(undefined);

  constructor(readonly threads: number) {}

  /**
   * A job slot for a compression (`batch`: one of several asked for at once), -1 for one that
   * runs inline now, or JOB_LATER for one that waits for a later turn (`later`), behind the calls
   * that wait already. Starts the threads the first time one is needed.
   */
  take(batch: boolean): number {
    if (this.#calls++ === 0) queueMicrotask(() => (this.#calls = 0));
    if (this.#later.length > 0) return JOB_LATER;
    const alone = !batch && this.#calls === 1 && (this.#codec?.pending ?? 0) === 0;
    return alone ? this.#inline(SHARES_COMPRESS) : this.#job();
  }

  /** take, for a swap-in of pages stored by codec `codecId`. */
  takeDecompress(codecId: number, batch: boolean): number {
    if (this.offThread(codecId)) return this.take(batch);
    return this.#later.length > 0 ? JOB_LATER : this.#inline(SHARES_DECOMPRESS);
  }

  /** Whether pages of codec `codecId` decompress on the threads (when several are in flight). */
  offThread(codecId: number): boolean {
    return !DECOMPRESS_INLINE.has(codecId);
  }

  /**
   * A job slot for a writeback's decompression of a page stored by codec `codecId` (writeback
   * runs in the background: no turn's budget, no order), or -1 where it runs inline.
   */
  takeWriteback(codecId: number): number {
    return this.offThread(codecId) ? this.#job() : -1;
  }

  /** A job slot, or -1 when none is free or no thread is left. */
  #job(): number {
    this.#codec ??= new CodecThreads(this.threads);
    return this.#codec.take();
  }

  /** -1 for work of `shares` that this turn's budget has room for (spending them), else JOB_LATER. */
  #inline(shares: number): number {
    this.#turnNext();
    if (this.#turnInline >= TURN_SHARES) return JOB_LATER;
    this.#turnInline += shares;
    return -1;
  }

  /**
   * Runs `op` for a call that take answered JOB_LATER, in a later turn of the event loop, after
   * the calls that waited before it: on a thread (a job slot) when several wait at once or jobs
   * are out and it is `threadable`, else inline (-1) within that turn's budget of `shares`.
   * Settles as op does.
   */
  later<T>(shares: number, threadable: boolean, op: (job: number) => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = (job: number) => {
        try {
          resolve(op(job));
        } catch (err) {
          reject(err);
        }
      };
      this.#later.push({ shares, threadable, run });
      this.#turnNext();
    });
  }

  #turnNext(): void {
    if (this.#turnSet) return;
    this.#turnSet = true;
    setImmediate(() => this.#turn());
  }

  /**
   * A new turn: the calls that wait go first, in order. One alone runs inline, as a call alone
   * does; several at once are calls in flight together, and go to the threads (in order: once
   * one is out, so is every later one, or it would be stored ahead of them).
   */
  #turn(): void {
    this.#turnSet = false;
    this.#turnInline = 0;
    const waiting = this.#later;
    const together = waiting.length > 1;
    while (waiting.length > 0) {
      const w = waiting[0];
      const out = together || (this.#codec?.pending ?? 0) > 0;
      const job = w.threadable && out ? this.#job() : -1;
      if (job < 0) {
        if (this.#turnInline >= TURN_SHARES) break;
        this.#turnInline += w.shares;
      }
      waiting.shift();
      w.run(job);
    }
    if (waiting.length > 0) this.#turnNext();
  }

  /** Gives back a slot taken and not run. */
  untake(s: number): void {
    this.#codec!.untake(s);
  }

  /** Slot s's input area (see CodecThreads.input). */
  input(s: number): Uint8Array {
    return this.#codec!.input(s);
  }

  /**
   * Runs the job in slot s and settles with what `done` makes of its result and output, on the
   * caller's thread; rejects with ZswapThreadError when the thread holding it died, and with
   * what `done` throws.
   */
  run<T>(
    s: number,
    op: number,
    codec: number,
    arg: number,
    done: (result: number, output: Uint8Array) => T | Promise<T>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.push(s, op, codec, arg, (result, output) => {
        if (result === RESULT_THREAD_DIED) {
          reject(this.died(s));
          return;
        }
        try {
          resolve(done(result, output));
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  /**
   * Runs the job in slot s and calls `done` back with its result (RESULT_THREAD_DIED when the
   * thread holding it died) and output, on the caller's thread, without a promise; `done` must
   * not throw.
   */
  push(
    s: number,
    op: number,
    codec: number,
    arg: number,
    done: (result: number, output: Uint8Array) => void,
  ): void {
    this.#dones[s] = done;
    this.#codec!.push(s, op, codec, arg, this.#called);
  }

  /** Every job's callback: one function, not a closure a job. */
  readonly #called = (result: number, s: number): void => {
    this.#turnInline = 0; // called back in a task of its own: the loop has turned
    const done = this.#dones[s]!;
    this.#dones[s] = undefined;
    done(result, this.#codec!.output(s));
  };

  /** The error of a call whose job in slot s a dying thread held (inside its callback). */
  died(s: number): ZswapThreadError {
    const cause = this.#codec!.deathOf(s);
    const why = cause instanceof Error ? cause.message : String(cause);
    return new ZswapThreadError(`the codec thread that held this page died (${why})`, { cause });
  }

  /** Jobs out now. */
  get pending(): number {
    return this.#codec?.pending ?? 0;
  }

  /** Threads still running (0 before the first is needed). */
  get alive(): number {
    return this.#codec?.alive ?? 0;
  }

  /** Stops the threads once their jobs are done. */
  close(): Promise<void> {
    return this.#codec?.close() ?? Promise.resolve();
  }

  /** @internal The threads, started if they were not, for tests that make one crash. */
  static unsafeCodecThreads(t: SwapThreads): CodecThreads {
    t.#codec ??= new CodecThreads(t.threads);
    return t.#codec;
  }
}
