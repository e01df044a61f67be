// Arenas: the memory zspages live in. One arena per zspage length (1..8 pages), each made of
// chunks of POOL_CHUNK_PAGES pages; a chunk is one SharedArrayBuffer cut into slots of its
// arena's zspage length (840 is a multiple of every length, so nothing is left over). A slot is
// named by its place: (chunk id << WHERE_PAGE_BITS) | the page it starts at in the chunk.
//
// Lifetime of a chunk:
//   1. taken when an arena has no free slot: the spare chunk if there is one, else a chunk given
//      back earlier that V8 has not collected yet, else a new one (mappedBuffer: its pages cost
//      memory once written, so an untouched slot costs none, and go back to the system when V8
//      collects the chunk);
//   2. slots are handed out from the lowest chunk with room, freed slots first (their memory is
//      already warm), then slots never used;
//   3. when its last slot is freed it becomes the spare, or, with a spare already kept, is given
//      back: the pool drops it and holds it only weakly until V8 collects it. Taking given-back
//      chunks before making new ones means that the pool never holds a new chunk while an old
//      one still waits for the collector, so its memory never exceeds its bound by that.
// Evacuation (the pool's compaction) empties the arena's emptiest chunks into the others.

import { assert } from "../assert.ts";
import { PAGE_SIZE, POOL_ARENAS, POOL_CHUNK_PAGES, POOL_CHUNKS_MAX } from "../constants.ts";
import { mappedBuffer } from "../typed-arrays.ts";

/** Bits of a place that name the page within its chunk. */
export const WHERE_PAGE_BITS = 10;
export const WHERE_PAGE_MASK = (1 << WHERE_PAGE_BITS) - 1;
assert(POOL_CHUNK_PAGES <= 1 << WHERE_PAGE_BITS, "a page of a chunk fits a place");
assert(POOL_CHUNKS_MAX << WHERE_PAGE_BITS <= 2 ** 32, "a place fits a uint32");

/** Ends a chunk's list of freed slots. */
const SLOT_NONE = 0xffff;
/** Words of each arena's bitmap of chunks with room. */
const ROOM_WORDS = Math.ceil(POOL_CHUNKS_MAX / 32);
const CHUNK_BYTES = POOL_CHUNK_PAGES * PAGE_SIZE;
const NO_BYTES = new Uint8Array(0);
const NO_WORDS16 = new Uint16Array(0);
const NO_WORDS32 = new Uint32Array(0);

export class Arenas {
  // Per chunk id; an id holds a chunk while chunkPages[id] !== 0.
  /** The chunk's memory, as bytes and as 16- and 32-bit words (for object headers). */
  readonly bytes: Uint8Array[] = [];
  readonly words16: Uint16Array[] = [];
  readonly words32: Uint32Array[] = [];
  private readonly sabs: (SharedArrayBuffer | undefined)[] = [];
  /** Zspage length of the chunk's arena, 0 while the id holds no chunk or the spare. */
  readonly chunkPages = new Uint8Array(POOL_CHUNKS_MAX);
  /** Slots in use. */
  readonly chunkUsed = new Uint16Array(POOL_CHUNKS_MAX);
  /** Slots below this have been used; those above it are untouched. */
  readonly chunkBump = new Uint16Array(POOL_CHUNKS_MAX);
  /** First freed slot; each freed slot's first 16-bit word holds the next (SLOT_NONE ends). */
  readonly chunkFreeHead = new Uint16Array(POOL_CHUNKS_MAX).fill(SLOT_NONE);
  /** 1 while evacuation empties the chunk: it takes no new zspage. */
  readonly chunkLeaving = new Uint8Array(POOL_CHUNKS_MAX);
  /** Per arena (zspage length - 1): a bit per chunk id that has a free slot. */
  readonly room = new Uint32Array(POOL_ARENAS * ROOM_WORDS);
  /** Per arena: chunks, and slots in use. */
  readonly arenaChunks = new Uint32Array(POOL_ARENAS);
  readonly arenaUsed = new Uint32Array(POOL_ARENAS);

  /** Chunks held, the spare included. */
  held = 0;
  /** The empty chunk kept for the next growth (0 when none; chunk ids start at 1). */
  spare = 0;
  /** Chunks given back since the pool was made. */
  givenBack = 0;
  /** Ids below this have held chunks; freed ones are in idsFree. */
  private idNext = 1;
  private readonly idsFree: number[] = [];
  /** Chunks given back and not yet known to be collected. */
  private readonly dropped: WeakRef<SharedArrayBuffer>[] = [];

  constructor() {
    this.viewsSet(0, undefined);
  }

  /** Slots of a chunk of the arena of `pages`-page zspages. */
  static slotsOf(pages: number): number {
    return POOL_CHUNK_PAGES / pages;
  }

  /** Free pages in the arena of `pages`-page zspages: slots not in use, touched or not. */
  freePages(pages: number): number {
    const a = pages - 1;
    return (this.arenaChunks[a] * Arenas.slotsOf(pages) - this.arenaUsed[a]) * pages;
  }

  /** A free slot for a `pages`-page zspage, from the lowest chunk with room; -1 when none. */
  slotTake(pages: number): number {
    const c = this.roomFirst(pages - 1);
    if (c === 0) return -1;
    let slot = this.chunkFreeHead[c];
    if (slot !== SLOT_NONE) {
      this.chunkFreeHead[c] = this.words16[c][(slot * pages * PAGE_SIZE) >>> 1];
    } else {
      slot = this.chunkBump[c]++;
    }
    this.arenaUsed[pages - 1]++;
    if (++this.chunkUsed[c] === Arenas.slotsOf(pages)) this.roomSet(c, false);
    return (c << WHERE_PAGE_BITS) | (slot * pages);
  }

  /** Frees the slot at `where`; an emptied chunk becomes the spare or is given back. */
  slotFree(where: number): void {
    const c = where >>> WHERE_PAGE_BITS;
    const pages = this.chunkPages[c];
    const page = where & WHERE_PAGE_MASK;
    this.words16[c][(page * PAGE_SIZE) >>> 1] = this.chunkFreeHead[c];
    this.chunkFreeHead[c] = page / pages;
    this.arenaUsed[pages - 1]--;
    if (--this.chunkUsed[c] === 0) this.chunkEmptied(c);
    else if (this.chunkLeaving[c] === 0) this.roomSet(c, true);
  }

  /**
   * Gives the arena of `pages`-page zspages one more chunk: the spare, a chunk given back that is
   * still alive, or a new one. The caller checked the pool's chunk limit, unless a spare exists.
   */
  chunkTake(pages: number): void {
    let c = this.spare;
    if (c !== 0) {
      this.spare = 0;
    } else {
      c = this.idsFree.pop() ?? this.idNext++;
      assert(c < POOL_CHUNKS_MAX, "chunk ids within POOL_CHUNKS_MAX");
      this.viewsSet(c, this.droppedTake() ?? mappedBuffer(CHUNK_BYTES));
      this.held++;
    }
    this.chunkPages[c] = pages;
    this.chunkBump[c] = 0;
    this.chunkFreeHead[c] = SLOT_NONE;
    this.arenaChunks[pages - 1]++;
    this.roomSet(c, true);
  }

  /** Gives back the spare chunk, if any (compaction gives back every empty chunk). */
  spareGiveBack(): void {
    if (this.spare === 0) return;
    const c = this.spare;
    this.spare = 0;
    this.chunkGiveBack(c);
  }

  /**
   * Marks the arena's emptiest chunks as leaving, as many as the arena's other chunks have free
   * slots for; returns how many. Each chosen chunk takes no new zspage and empties as the pool
   * moves its zspages out (slotTake then serves from the others only).
   */
  evacuateBegin(pages: number): number {
    const a = pages - 1;
    const slots = Arenas.slotsOf(pages);
    const chunks: number[] = [];
    for (let c = 1; c < this.idNext; c++) if (this.chunkPages[c] === pages) chunks.push(c);
    chunks.sort((x, y) => this.chunkUsed[x] - this.chunkUsed[y]);
    let moving = 0;
    let room = this.arenaChunks[a] * slots - this.arenaUsed[a];
    let chosen = 0;
    for (const c of chunks) {
      const used = this.chunkUsed[c];
      // Leaving, c takes its free slots out of the room and adds its used ones to what moves.
      if (moving + used > room - (slots - used)) break;
      moving += used;
      room -= slots - used;
      this.chunkLeaving[c] = 1;
      this.roomSet(c, false);
      chosen++;
    }
    return chosen;
  }

  /** Copies a zspage of `pages` pages from one slot to another. */
  copy(from: number, to: number, pages: number): void {
    const src = this.bytes[from >>> WHERE_PAGE_BITS];
    const at = (from & WHERE_PAGE_MASK) * PAGE_SIZE;
    this.bytes[to >>> WHERE_PAGE_BITS].set(
      src.subarray(at, at + pages * PAGE_SIZE),
      (to & WHERE_PAGE_MASK) * PAGE_SIZE,
    );
  }

  /** The slot's first byte in its chunk's bytes. */
  static offsetOf(where: number): number {
    return (where & WHERE_PAGE_MASK) * PAGE_SIZE;
  }

  /** Bytes of the tables above, for the metadata count (the views' V8 objects excluded). */
  get metadataBytes(): number {
    return (
      this.chunkPages.byteLength +
      this.chunkUsed.byteLength +
      this.chunkBump.byteLength +
      this.chunkFreeHead.byteLength +
      this.chunkLeaving.byteLength +
      this.room.byteLength +
      this.arenaChunks.byteLength +
      this.arenaUsed.byteLength
    );
  }

  // ---- helpers ----

  private chunkEmptied(c: number): void {
    const a = this.chunkPages[c] - 1;
    this.roomSet(c, false);
    this.arenaChunks[a]--;
    this.chunkPages[c] = 0;
    this.chunkLeaving[c] = 0;
    if (this.spare === 0) this.spare = c;
    else this.chunkGiveBack(c);
  }

  private chunkGiveBack(c: number): void {
    this.dropped.push(new WeakRef(this.sabs[c]!));
    this.viewsSet(c, undefined);
    this.idsFree.push(c);
    this.held--;
    this.givenBack++;
    // Forget the ones V8 has collected, so the list stays as short as the chunks it can return.
    if (this.dropped.length > POOL_CHUNKS_MAX) this.droppedPrune();
  }

  private droppedTake(): SharedArrayBuffer | undefined {
    for (let ref = this.dropped.pop(); ref !== undefined; ref = this.dropped.pop()) {
      const sab = ref.deref();
      if (sab !== undefined) return sab;
    }
    return undefined;
  }

  private droppedPrune(): void {
    const alive = this.dropped.filter((ref) => ref.deref() !== undefined);
    this.dropped.length = 0;
    this.dropped.push(...alive);
  }

  private viewsSet(c: number, sab: SharedArrayBuffer | undefined): void {
    this.sabs[c] = sab;
    // Views of fixed length: V8 reads those as fast as any (mappedBuffer's buffers are growable).
    this.bytes[c] = sab === undefined ? NO_BYTES : new Uint8Array(sab, 0, CHUNK_BYTES);
    this.words16[c] = sab === undefined ? NO_WORDS16 : new Uint16Array(sab, 0, CHUNK_BYTES / 2);
    this.words32[c] = sab === undefined ? NO_WORDS32 : new Uint32Array(sab, 0, CHUNK_BYTES / 4);
  }

  private roomSet(c: number, room: boolean): void {
    const k = (this.chunkPages[c] - 1) * ROOM_WORDS + (c >>> 5);
    if (room) this.room[k] |= 1 << (c & 31);
    else this.room[k] &= ~(1 << (c & 31));
  }

  /** The lowest chunk id of arena `a` with room, or 0. */
  private roomFirst(a: number): number {
    const base = a * ROOM_WORDS;
    const words = (this.idNext + 31) >>> 5;
    for (let w = 0; w < words; w++) {
      const bits = this.room[base + w];
      if (bits !== 0) return (w << 5) + 31 - Math.clz32(bits & -bits);
    }
    return 0;
  }
}
