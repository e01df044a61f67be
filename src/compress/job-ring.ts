// The shared memory between a swap space's thread and its codec threads: one Int32Array of
// control words and one byte area of job slots, both over SharedArrayBuffers, so that a page
// crosses to a codec thread without a message or a copy beyond the one into its slot.
//
// Control words:
//   STOP, DONE               close asks the threads to return; jobs finished by all threads
//   per thread: HEAD, TAIL   jobs pushed to its queue (by the owner) and taken (by the thread)
//               SLEEP        1 while the thread may wait: only then is it rung
//               BELL         what a sleeping thread waits on; the owner adds 1 to ring it, after
//                            publishing HEAD or setting STOP (a wait on HEAD alone would miss a
//                            STOP set between the thread's look at it and its wait)
//               QUEUE[JOBS]  slot numbers, HEAD and TAIL taken modulo CODEC_JOBS_MAX
//   per slot:   STATE OP CODEC ARG RESULT
// Bytes, per slot: IN (PAGE_SIZE: a page, or compressed bytes), OUT (COMPRESS_BUFFER_BYTES).
//
// A job's life: the owner fills the slot, sets STATE to QUEUED, puts its number in a thread's
// queue and publishes HEAD with Atomics.store (so the slot's words and bytes are visible before
// the thread can see the job); the thread writes RESULT and OUT, sets STATE to DONE with
// Atomics.store, adds to DONE and notifies it. Each queue has one writer and one reader.

import { CODEC_JOBS_MAX, COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../constants.ts";

/** Compress IN (a page) into OUT. ARG: the most bytes the output may take. */
export const OP_COMPRESS = 1;
/** Decompress IN's first ARG bytes into OUT. */
export const OP_DECOMPRESS = 2;
/** A fault for tests: the thread throws, as a thread that crashes holding its jobs. */
export const OP_THROW = 3;

/** A compress RESULT: the page is all zeros, nothing was compressed. */
export const RESULT_ZERO_PAGE = -2;
/** A RESULT the owner writes itself: the thread died before it finished the job. */
export const RESULT_THREAD_DIED = -3;

export const STATE_QUEUED = 1;
export const STATE_DONE = 2;

export const CTL_STOP = 0;
export const CTL_DONE = 1;
const CTL_HEADER = 2;
const THREAD_WORDS = 4 + CODEC_JOBS_MAX;
export const SLOT_WORDS = 5;
export const SLOT_STATE = 0;
export const SLOT_OP = 1;
export const SLOT_CODEC = 2;
export const SLOT_ARG = 3;
export const SLOT_RESULT = 4;

export const SLOT_BYTES = PAGE_SIZE + COMPRESS_BUFFER_BYTES;

/** What a codec thread is started with (its workerData). */
export interface JobRingShared {
  ctl: SharedArrayBuffer;
  data: SharedArrayBuffer;
  threads: number;
  /** This thread's number, 0..threads-1. */
  thread: number;
}

/** Index of thread t's HEAD; TAIL, SLEEP and BELL follow, then its queue. */
export const headAt = (t: number): number => CTL_HEADER + t * THREAD_WORDS;
export const TAIL = 1;
export const SLEEP = 2;
export const BELL = 3;
export const QUEUE = 4;

/** A thread notifies DONE when its queue is empty, and at least every this many jobs. */
export const DONE_NOTIFY_JOBS = 16;

/** Index of slot s's first word. */
export const slotAt = (threads: number, s: number): number =>
  CTL_HEADER + threads * THREAD_WORDS + s * SLOT_WORDS;

/** Byte offset of slot s's IN; its OUT follows at + PAGE_SIZE. */
export const slotBytesAt = (s: number): number => s * SLOT_BYTES;

export function jobRingNew(threads: number): { ctl: SharedArrayBuffer; data: SharedArrayBuffer } {
  return {
    ctl: new SharedArrayBuffer(slotAt(threads, CODEC_JOBS_MAX) * 4),
    data: new SharedArrayBuffer(CODEC_JOBS_MAX * SLOT_BYTES),
  };
}
