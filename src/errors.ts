import { FOLIO_PAGES_MAX, FOLIO_PAGES_MIN, PAGE_SIZE } from "./constants.ts";

// Errors: one class per code, grouped in kinds that callers can match on. Argument and state
// errors are raised before anything changes, so the cache is left as it was.

export type ZswapErrorCode =
  | "ZSWAP_E_PAGE_SIZE" // a page is not exactly PAGE_SIZE bytes
  | "ZSWAP_E_OPTION" // an option is missing, of the wrong type or out of range
  | "ZSWAP_E_COMPRESSOR" // no compressor of that name is available
  | "ZSWAP_E_TYPE" // a swap type (area number) outside 0..SWAP_AREAS_MAX-1
  | "ZSWAP_E_AREA" // the swap area is not swapped on, or is already on
  | "ZSWAP_E_OFFSET" // a slot offset outside the area
  | "ZSWAP_E_CORRUPT" // stored data failed to decompress or to check: the page is not returned
  | "ZSWAP_E_IO" // the swap device failed a read or a write
  | "ZSWAP_E_SLOT" // a swap slot that is not allocated (never given out, or freed)
  | "ZSWAP_E_FULL" // every slot of the swap space is in use
  | "ZSWAP_E_BUSY" // too many swap-outs already wait for a slot whose I/O is settling
  | "ZSWAP_E_EXISTS" // a file is already at the path, and using it was not allowed
  | "ZSWAP_E_INPUT" // an input file (a trace, a page corpus) is not what it must be
  | "ZSWAP_E_CLOSED" // the swap space or device is closed
  | "ZSWAP_E_MACHINE" // this machine cannot run what was asked of its kernel (zswap kernel)
  | "ZSWAP_E_THREAD"; // a codec thread died holding the call's page: nothing changed

/**
 * Every error zswap-ts raises for a caller's input, state or device. Each code has one class, its
 * code a static field of the class, so a code and its kind cannot disagree; the kinds below are
 * what callers may match on by `instanceof`. A broken internal invariant is not one of these:
 * it is a ZswapInvariantError (assert.ts), a bug in zswap-ts.
 */
export abstract class ZswapError extends Error {
  readonly code: ZswapErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    const code = (new.target as unknown as { code: ZswapErrorCode }).code;
    super(`${code}: ${message}`, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The caller passed something invalid (an argument, an option, an input file); nothing changed. */
export abstract class ZswapArgumentError extends ZswapError {}

/** The call does not fit the current state (an area not on, every slot in use...); nothing changed. */
export abstract class ZswapStateError extends ZswapError {}

/** A page is not a Uint8Array of exactly PAGE_SIZE bytes. */
export class ZswapPageSizeError extends ZswapArgumentError {
  static readonly code = "ZSWAP_E_PAGE_SIZE";
}

/** An option or flag is missing, of the wrong type or out of range. */
export class ZswapOptionError extends ZswapArgumentError {
  static readonly code = "ZSWAP_E_OPTION";
}

/** No compressor of that name is available. */
export class ZswapCompressorError extends ZswapArgumentError {
  static readonly code = "ZSWAP_E_COMPRESSOR";
}

/** A swap type (area number) that is not an integer in 0..SWAP_AREAS_MAX-1. */
export class ZswapSwapTypeError extends ZswapArgumentError {
  static readonly code = "ZSWAP_E_TYPE";
}

/** A slot offset outside the swap area or device. */
export class ZswapOffsetError extends ZswapArgumentError {
  static readonly code = "ZSWAP_E_OFFSET";
}

/** A swap slot that is not in use (never given out, or freed). */
export class ZswapSlotError extends ZswapArgumentError {
  static readonly code = "ZSWAP_E_SLOT";
}

/** A file is already at a path where a new one was to be made, and reusing it was not allowed. */
export class ZswapExistsError extends ZswapArgumentError {
  static readonly code = "ZSWAP_E_EXISTS";
}

/** An input file (a trace, a page corpus) is not what it must be; the message says where. */
export class ZswapInputError extends ZswapArgumentError {
  static readonly code = "ZSWAP_E_INPUT";
}

/** The swap area is not swapped on, or is already on. */
export class ZswapAreaError extends ZswapStateError {
  static readonly code = "ZSWAP_E_AREA";
}

/** Every slot of the swap space is in use. */
export class ZswapFullError extends ZswapStateError {
  static readonly code = "ZSWAP_E_FULL";
}

/** Too many swap-outs already wait for a slot whose I/O is settling. */
export class ZswapBusyError extends ZswapStateError {
  static readonly code = "ZSWAP_E_BUSY";
}

/** The swap space or device is closed. */
export class ZswapClosedError extends ZswapStateError {
  static readonly code = "ZSWAP_E_CLOSED";
}

/** This machine cannot run what was asked of its own kernel (not root, no memory cgroup...). */
export class ZswapMachineError extends ZswapStateError {
  static readonly code = "ZSWAP_E_MACHINE";
}

/** Stored data could not be turned back into the page it was: the page is not returned. */
export class ZswapDataError extends ZswapError {
  static readonly code = "ZSWAP_E_CORRUPT";
}

/**
 * A codec thread died (crashed or was terminated) while it held the call's page: the call
 * changed nothing (a swap-out's slot is given back, a swap-in's slot keeps its page), and the
 * space goes on with its other threads, or on its own thread when none is left.
 */
export class ZswapThreadError extends ZswapError {
  static readonly code = "ZSWAP_E_THREAD";
}

/** The swap device or the file system failed; `errno` is the system's code (EIO, ENOSPC...). */
export class ZswapIOError extends ZswapError {
  static readonly code = "ZSWAP_E_IO";
  readonly errno: string | undefined;
  constructor(message: string, errno?: string, options?: { cause?: unknown }) {
    super(errno === undefined ? message : `${message} (${errno})`, options);
    this.errno = errno;
  }
}

/** The error for anything that is not a page of exactly PAGE_SIZE bytes, or undefined. */
export function pageSizeError(page: unknown): ZswapPageSizeError | undefined {
  if (page instanceof Uint8Array && page.byteLength === PAGE_SIZE) return undefined;
  const got = page instanceof Uint8Array ? `${page.byteLength} bytes` : typeof page;
  return new ZswapPageSizeError(`a page must be a Uint8Array of ${PAGE_SIZE} bytes, got ${got}`);
}

/** Throws pageSizeError's error, if any. */
export function pageCheck(page: unknown): asserts page is Uint8Array {
  const err = pageSizeError(page);
  if (err !== undefined) throw err;
}

/** Throws the error for a bad option (ZSWAP_E_OPTION). */
export function optionBad(message: string): never {
  throw new ZswapOptionError(message);
}

/** Throws ZSWAP_E_OPTION unless `opts` is an object with no key outside `known` (a typo). */
export function optionsKnownCheck(opts: unknown, known: ReadonlySet<string>): void {
  if (typeof opts !== "object" || opts === null) optionBad("options must be an object");
  for (const key of Object.keys(opts)) if (!known.has(key)) optionBad(`unknown option "${key}"`);
}

/** A system error (with `code` such as EIO) as a ZswapIOError; our own errors pass through. */
export function ioErrorFrom(error: unknown, what: string): ZswapError {
  if (error instanceof ZswapError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const errno = typeof code === "string" ? code : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  return new ZswapIOError(`${what}: ${reason}`, errno, { cause: error });
}

/**
 * The pages of a large folio: an array of FOLIO_PAGES_MIN..FOLIO_PAGES_MAX pages, a power of two
 * of them (ZSWAP_E_OPTION otherwise), each a page (ZSWAP_E_PAGE_SIZE). Returns their number.
 */
export function folioCheck(pages: readonly unknown[]): number {
  const n = Array.isArray(pages) ? pages.length : 0;
  if (n < FOLIO_PAGES_MIN || n > FOLIO_PAGES_MAX || (n & (n - 1)) !== 0) {
    optionBad(
      `a folio is an array of ${FOLIO_PAGES_MIN}..${FOLIO_PAGES_MAX} pages, a power of two, got ${Array.isArray(pages) ? n : typeof pages}`,
    );
  }
  for (const page of pages) pageCheck(page);
  return n;
}
