// Branded numbers: an offset, an entry index, a handle and a byte count cannot be mixed up.

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A swap area's number, 0..SWAP_AREAS_MAX-1 (the kernel's swp_type). */
export type SwapType = Brand<number, "SwapType">;
/** A slot inside one swap area (the kernel's swp_offset). */
export type SwapOffset = Brand<number, "SwapOffset">;
/** A row of the zswap entry table. */
export type EntryIndex = Brand<number, "EntryIndex">;
/** An opaque reference to a pool object; 0 is never a valid handle. */
export type Handle = Brand<number, "Handle">;
/** A size in bytes. */
export type ByteCount = Brand<number, "ByteCount">;
/** A size in 4 KiB pages. */
export type PageCount = Brand<number, "PageCount">;

/** The handle that refers to nothing: what a failed allocation returns. */
export const NO_HANDLE = 0 as Handle;
