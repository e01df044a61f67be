// Growing typed arrays: the tables are struct-of-arrays that double when full.

type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/** A copy of `a` with `length` elements; the new tail holds `fill`. */
export function grown<T extends Typed>(a: T, length: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
