// A swap space's codec threads: when a swap goes off the caller's thread, and the promise of a
// job. The threads themselves, and their queue in shared memory, are compress/'s CodecThreads;
// what a result means for a slot stays in swap-space.ts.
//
// A call goes off-thread when others are in flight with it: a job is out already, or another
// call came before the microtasks ran dry, or it is part of a batch (swapOutMany). A call
// alone runs on its own thread: a hand-off and a wake-up cost more than a page's codec work,
// so one awaited swap at a time is fastest inline; but at most CODEC_INLINE_PAGES_PER_TURN
// pages a turn of the event loop run inline, so a caller that chains calls in microtasks does
// not hold the loop. Calls that go inline only when no job is out
// keep zswap's stores in the order of the calls (CodecThreads calls back in push order); only
// a full queue (CODEC_JOBS_MAX jobs out) sends a call inline ahead of jobs still out.

import { CodecThreads, compressorId, RESULT_THREAD_DIED } from "../compress/index.ts";
import { CODEC_INLINE_PAGES_PER_TURN } from "../constants.ts";
import { ZswapThreadError } from "../errors.ts";

/**
 * Codecs whose decompression stays on the caller's thread: lz4 decompresses a page in about
 * 2 µs, less than a swap-in's own work to hand it over and take it back (threads bench: a
 * swap-in 64 in flight ran at 0.2-0.4 of the codec's rate off-thread, 0.5-0.7 inline).
 */
const DECOMPRESS_INLINE: ReadonlySet<number> = new Set([
  compressorId("lz4"),
  compressorId("lz4hc"),
]);

export class SwapThreads {
  #codec: CodecThreads | undefined;
  /** Calls since the microtasks last ran dry; a microtask sets it back to 0. */
  #calls = 0;
  /** Pages run inline in this turn of the event loop; an immediate sets it back to 0. */
  #turnInline = 0;

  constructor(readonly threads: number) {}

  /**
   * A job slot for a call that goes off-thread (`batch`: one of several asked for at once), or
   * -1 for one that runs inline. Starts the threads the first time one is needed.
   */
  take(batch: boolean): number {
    if (this.#calls++ === 0) queueMicrotask(() => (this.#calls = 0));
    const alone = !batch && this.#calls === 1 && (this.#codec?.pending ?? 0) === 0;
    if (alone && this.#inlineBudget()) return -1;
    this.#codec ??= new CodecThreads(this.threads);
    return this.#codec.take();
  }

  /** take, for a swap-in of pages stored by codec `codecId`: -1 where decompressing inline pays. */
  takeDecompress(codecId: number, batch: boolean): number {
    return DECOMPRESS_INLINE.has(codecId) && this.#inlineBudget() ? -1 : this.take(batch);
  }

  /**
   * True while this turn of the event loop has run fewer than CODEC_INLINE_PAGES_PER_TURN pages
   * inline (and counts one more): past that, pages go to the threads and the loop turns while
   * they are away, however the caller chains its calls.
   */
  #inlineBudget(): boolean {
    if (this.#turnInline === 0) setImmediate(() => (this.#turnInline = 0));
    if (this.#turnInline >= CODEC_INLINE_PAGES_PER_TURN) return false;
    this.#turnInline++;
    return true;
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
    const threads = this.#codec!;
    threads.push(s, op, codec, arg, (result) => {
      this.#turnInline = 0; // called back in a task of its own: the loop has turned
      done(result, threads.output(s));
    });
  }

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
