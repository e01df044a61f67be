import { PAGE_SIZE } from "./constants.ts";

// Errors: one class per kind of failure, each carrying a stable code that callers can match on.
// Argument and state errors are raised before anything changes, so the cache is left as it was.

export type ZswapErrorCode =
  | "ZSWAP_E_PAGE_SIZE" // a page is not exactly PAGE_SIZE bytes
  | "ZSWAP_E_OPTION" // an option is missing, of the wrong type or out of range
  | "ZSWAP_E_COMPRESSOR" // no compressor of that name is available
  | "ZSWAP_E_AREA" // the swap area is not swapped on, or is already on
  | "ZSWAP_E_OFFSET" // a slot offset outside the area
  | "ZSWAP_E_CORRUPT" // stored data failed to decompress or to check: the page is not returned
  | "ZSWAP_E_IO" // the swap device failed a read or a write
  | "ZSWAP_E_SLOT" // a swap slot that is not allocated (never given out, or freed)
  | "ZSWAP_E_FULL" // every slot of the swap space is in use
  | "ZSWAP_E_BUSY" // too many swap-outs already wait for a slot whose I/O is settling
  | "ZSWAP_E_EXISTS" // a file is already at the path, and using it was not allowed
  | "ZSWAP_E_INPUT" // an input file (a trace, a page corpus) is not what it must be
  | "ZSWAP_E_CLOSED"; // the swap space or device is closed

export class ZswapError extends Error {
  readonly code: ZswapErrorCode;
  constructor(code: ZswapErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The caller passed something invalid; nothing was changed. */
export class ZswapArgumentError extends ZswapError {}

/** The call does not fit the cache's state (an area not swapped on, ...); nothing was changed. */
export class ZswapStateError extends ZswapError {}

/** Stored data could not be turned back into the page it was. */
export class ZswapDataError extends ZswapError {}

/** The swap device failed; `errno` is the system's code (EIO, ENOSPC, ...) when there is one. */
export class ZswapIOError extends ZswapError {
  readonly errno: string | undefined;
  constructor(message: string, errno?: string, options?: { cause?: unknown }) {
    super("ZSWAP_E_IO", errno === undefined ? message : `${message} (${errno})`);
    this.errno = errno;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The error for anything that is not a page of exactly PAGE_SIZE bytes, or undefined. */
export function pageSizeError(page: unknown): ZswapArgumentError | undefined {
  if (page instanceof Uint8Array && page.byteLength === PAGE_SIZE) return undefined;
  const got = page instanceof Uint8Array ? `${page.byteLength} bytes` : typeof page;
  return new ZswapArgumentError(
    "ZSWAP_E_PAGE_SIZE",
    `a page must be a Uint8Array of ${PAGE_SIZE} bytes, got ${got}`,
  );
}

/** Throws pageSizeError's error, if any. */
export function pageCheck(page: unknown): asserts page is Uint8Array {
  const err = pageSizeError(page);
  if (err !== undefined) throw err;
}

/** Throws the error for a bad option (ZSWAP_E_OPTION). */
export function optionBad(message: string): never {
  throw new ZswapArgumentError("ZSWAP_E_OPTION", message);
}

/** A system error (with `code` such as EIO) as a ZswapIOError; our own errors pass through. */
export function ioErrorFrom(error: unknown, what: string): ZswapError {
  if (error instanceof ZswapError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const errno = typeof code === "string" ? code : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  return new ZswapIOError(`${what}: ${reason}`, errno, { cause: error });
}
