// The kernel's two LRU lists of anonymous pages (mm/vmscan.c, without MGLRU), over page frames:
// which page reclaim takes next. A frame is on the inactive or the active list, or on neither
// (free, or its page on its way out).
//   - a page faulted in goes to the inactive list's head, its accessed bit set by the fault;
//   - reclaim looks at the inactive list's tail (folio_check_references): a page accessed since
//     it was last looked at is kept for another trip (its PG_referenced set), or activated if it
//     was kept once before; a page not accessed is the victim;
//   - while the inactive list is shorter than the active one (inactive_is_low, below 1 GiB),
//     the active list's tail goes back to the inactive list, accessed or not (anon pages).

const NONE = -1;
const INACTIVE = 0;
const ACTIVE = 1;
const OFF = 2;

export class AnonLru {
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  readonly #list: Uint8Array;
  /** The page table's accessed bit: set by every access, cleared when reclaim looks. */
  readonly #young: Uint8Array;
  /** PG_referenced: the page was found accessed the last time reclaim looked. */
  readonly #referenced: Uint8Array;
  readonly #head = [NONE, NONE];
  readonly #tail = [NONE, NONE];
  readonly #size = [0, 0];

  constructor(frames: number) {
    this.#prev = new Int32Array(frames).fill(NONE);
    this.#next = new Int32Array(frames).fill(NONE);
    this.#list = new Uint8Array(frames).fill(OFF);
    this.#young = new Uint8Array(frames);
    this.#referenced = new Uint8Array(frames);
  }

  #push(f: number, list: number): void {
    this.#list[f] = list;
    this.#prev[f] = NONE;
    this.#next[f] = this.#head[list];
    if (this.#head[list] !== NONE) this.#prev[this.#head[list]] = f;
    this.#head[list] = f;
    if (this.#tail[list] === NONE) this.#tail[list] = f;
    this.#size[list]++;
  }

  /** Takes frame f off its list. */
  remove(f: number): void {
    const list = this.#list[f];
    if (list === OFF) return;
    const p = this.#prev[f];
    const n = this.#next[f];
    if (p !== NONE) this.#next[p] = n;
    else this.#head[list] = n;
    if (n !== NONE) this.#prev[n] = p;
    else this.#tail[list] = p;
    this.#size[list]--;
    this.#list[f] = OFF;
  }

  /** A page was faulted into frame f (or taken back from its way out). */
  add(f: number): void {
    this.#referenced[f] = 0;
    this.#young[f] = 1;
    this.#push(f, INACTIVE);
  }

  /** The page in frame f was accessed. */
  touch(f: number): void {
    this.#young[f] = 1;
  }

  /** Moves the active list's tail to the inactive list while the inactive one is the shorter. */
  #deactivate(max: number): void {
    for (let i = 0; i < max && this.#size[INACTIVE] < this.#size[ACTIVE]; i++) {
      const f = this.#tail[ACTIVE];
      this.remove(f);
      this.#young[f] = 0;
      this.#push(f, INACTIVE);
    }
  }

  /**
   * The next victim: the inactive list's tail once it was not accessed since reclaim last
   * looked, taken off its list; NONE when no list holds a page. Looks at most at every page twice.
   */
  victim(batch: number): number {
    this.#deactivate(batch);
    for (let steps = 2 * (this.#size[INACTIVE] + this.#size[ACTIVE]); steps >= 0; steps--) {
      if (this.#size[INACTIVE] === 0) this.#deactivate(batch);
      const f = this.#tail[INACTIVE];
      if (f === NONE) return NONE;
      this.remove(f);
      const wasReferenced = this.#referenced[f] === 1;
      this.#referenced[f] = 0;
      if (this.#young[f] === 0) return f;
      this.#young[f] = 0;
      this.#referenced[f] = 1;
      this.#push(f, wasReferenced ? ACTIVE : INACTIVE);
    }
    return NONE;
  }
}
