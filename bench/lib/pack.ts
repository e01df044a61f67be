// Compressed pages back to back in one buffer, as the raw-codec baselines decompress them.

export interface Packed {
  bytes: Uint8Array;
  /** Chunk k is bytes[at[k], at[k + 1]). */
  at: Uint32Array;
}

export function packChunks(chunks: readonly Uint8Array[]): Packed {
  const at = new Uint32Array(chunks.length + 1);
  chunks.forEach((c, k) => {
    at[k + 1] = at[k] + c.length;
  });
  const bytes = new Uint8Array(at[chunks.length]);
  chunks.forEach((c, k) => {
    bytes.set(c, at[k]);
  });
  return { bytes, at };
}
