// A codec thread: takes jobs from its queue in the job ring (job-ring.ts), compresses or
// decompresses them in place in shared memory, and sleeps on its BELL when its queue is empty.
// It keeps no state but one codec instance per codec id; a thread that dies loses nothing its
// owner cannot see (a job is DONE or it is not).

import { workerData } from "node:worker_threads";
import {
  CODEC_JOBS_MAX,
  CODEC_SPIN_POLLS,
  COMPRESS_BUFFER_BYTES,
  PAGE_SIZE,
} from "../constants.ts";
import { COMPRESSOR_NAMES, type Compressor, compressorCreate } from "./compressor.ts";
import "./codecs.ts";
import {
  BELL,
  CTL_DONE,
  CTL_STOP,
  DONE_NOTIFY_JOBS,
  headAt,
  type JobRingShared,
  OP_COMPRESS,
  OP_DECOMPRESS,
  QUEUE,
  RESULT_ZERO_PAGE,
  SLEEP,
  SLOT_ARG,
  SLOT_CODEC,
  SLOT_OP,
  SLOT_RESULT,
  SLOT_STATE,
  STATE_DONE,
  slotAt,
  slotBytesAt,
  TAIL,
} from "./job-ring.ts";

const shared = workerData as JobRingShared;
const ctl = new Int32Array(shared.ctl);
const bytes = new Uint8Array(shared.data);
const head = headAt(shared.thread);
const tail = head + TAIL;
const sleep = head + SLEEP;
const bell = head + BELL;
const queue = head + QUEUE;
const codecs: Compressor[] = [];
/** Per slot, views of IN and OUT, made once. */
const ins: Uint8Array[] = [];
const outs: Uint8Array[] = [];
for (let s = 0; s < CODEC_JOBS_MAX; s++) {
  const at = slotBytesAt(s);
  ins.push(bytes.subarray(at, at + PAGE_SIZE));
  outs.push(bytes.subarray(at + PAGE_SIZE, at + PAGE_SIZE + COMPRESS_BUFFER_BYTES));
}
const outPages = outs.map((o) => o.subarray(0, PAGE_SIZE));
const inWords = ins.map((i) => new Int32Array(shared.data, i.byteOffset, PAGE_SIZE / 4));

const codecOf = (id: number): Compressor => {
  codecs[id] ??= compressorCreate(COMPRESSOR_NAMES[id]);
  return codecs[id];
};

/** Every byte zero, a word at a time. */
function isZero(s: number): boolean {
  const words = inWords[s];
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}

function jobRun(s: number): number {
  const w = slotAt(shared.threads, s);
  const codec = ctl[w + SLOT_CODEC];
  const arg = ctl[w + SLOT_ARG];
  switch (ctl[w + SLOT_OP]) {
    case OP_COMPRESS:
      if (isZero(s)) return RESULT_ZERO_PAGE;
      try {
        return codecOf(codec).compress(ins[s], outs[s], arg);
      } catch {
        return -1;
      }
    case OP_DECOMPRESS:
      return codecOf(codec).decompress(ins[s], 0, arg, outPages[s]);
    default:
      throw new Error(`job ${s}: op ${ctl[w + SLOT_OP]} (a thread's crash, asked for)`);
  }
}

// The owner publishes HEAD (or sets STOP) then reads SLEEP and rings BELL; this thread reads
// BELL, sets SLEEP, then reads HEAD and STOP, and waits on BELL as it read it: with sequentially
// consistent atomics either it sees the owner's write, or the owner's ring comes after its read
// of BELL and the wait returns at once or is woken.
for (;;) {
  const published = Atomics.load(ctl, head);
  let taken = ctl[tail];
  for (let n = 1; taken !== published; n++) {
    const s = ctl[queue + (taken & (CODEC_JOBS_MAX - 1))];
    const w = slotAt(shared.threads, s);
    ctl[w + SLOT_RESULT] = jobRun(s);
    Atomics.store(ctl, w + SLOT_STATE, STATE_DONE);
    taken = (taken + 1) | 0;
    Atomics.store(ctl, tail, taken);
    Atomics.add(ctl, CTL_DONE, 1);
    if (taken === published || n % DONE_NOTIFY_JOBS === 0) Atomics.notify(ctl, CTL_DONE);
  }
  if (Atomics.load(ctl, CTL_STOP) !== 0) break;
  // A short spin first: the owner pushes more within microseconds while it is busy, and a
  // thread it need not wake saves it a notify (a futex wake) per turn.
  let spins = CODEC_SPIN_POLLS;
  while (spins-- > 0 && Atomics.load(ctl, head) === published);
  if (spins >= 0) continue;
  const rung = Atomics.load(ctl, bell);
  Atomics.store(ctl, sleep, 1);
  if (Atomics.load(ctl, head) === published && Atomics.load(ctl, CTL_STOP) === 0) {
    Atomics.wait(ctl, bell, rung);
  }
  Atomics.store(ctl, sleep, 0);
}
