// Growing typed arrays: tables are struct-of-arrays that grow when full.

type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/** A copy of `a` with `length` elements; the new tail holds `fill`. */
export function grown<T extends Typed>(a: T, length: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

/** A SharedArrayBuffer that grows in place (ES2024; our TypeScript lib is ES2022). */
interface GrowableBuffer extends SharedArrayBuffer {
  grow(byteLength: number): void;
}
const GrowableBuffer = SharedArrayBuffer as unknown as new (
  byteLength: number,
  options: { maxByteLength: number },
) => GrowableBuffer;

/** A typed array's constructor, for views over a given buffer. */
interface TypedOver<T> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * `byteLength` bytes of zeroed memory that V8 maps from the system itself (a growable
 * SharedArrayBuffer): its pages cost memory once written, and go back to the system when the
 * buffer is collected. (A plain buffer of this size comes from the C allocator, which after the
 * first free keeps freed buffers of that size for itself rather than giving them back.)
 */
export function mappedBuffer(byteLength: number, byteLengthMax = byteLength): SharedArrayBuffer {
  return new GrowableBuffer(byteLength, { maxByteLength: byteLengthMax });
}

/**
 * An empty typed array over a buffer that reserves address space for `lengthMax` elements, for
 * tables that grow with growTo: in place, without a copy, without holding an old and a new array
 * at once. The view has a fixed length (V8 reads those as fast as plain arrays, and views that
 * track a buffer's length several times slower), so growTo returns a new view.
 */
export function growable<T extends Typed>(type: TypedOver<T>, lengthMax: number): T {
  return new type(mappedBuffer(0, lengthMax * type.BYTES_PER_ELEMENT), 0, 0);
}

/** Grows the buffer of `a` (made by growable) to `length` elements; the view of them all. */
export function growTo<T extends Typed>(a: T, length: number): T {
  const buffer = a.buffer as GrowableBuffer;
  buffer.grow(length * a.BYTES_PER_ELEMENT);
  return new (a.constructor as TypedOver<T>)(buffer, 0, length);
}
