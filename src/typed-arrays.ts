// Growing typed arrays: tables are struct-of-arrays that grow when full.

type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/** A copy of `a` with `length` elements; the new tail holds `fill`. */
export function grown<T extends Typed>(a: T, length: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

/** An ArrayBuffer that resizes in place (ES2024; our TypeScript lib is ES2022). */
interface ResizableBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const ResizableBuffer = ArrayBuffer as unknown as new (
  byteLength: number,
  options: { maxByteLength: number },
) => ResizableBuffer;

type TypedOver<T> = new (buffer: ArrayBuffer) => T;

/**
 * An empty typed array over a resizable buffer that reserves address space for `lengthMax`
 * elements: resize() commits memory in place, so a table grows without a copy and without
 * holding its old and new arrays at once, and gives memory back when it shrinks. The array
 * tracks the buffer's length, so references to it stay valid.
 */
export function resizable<T extends Typed>(type: TypedOver<T>, lengthMax: number): T {
  const perElement = (type as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return new type(new ResizableBuffer(0, { maxByteLength: lengthMax * perElement }));
}

/** Resizes an array made by resizable() to `length` elements; new elements are 0. */
export function resize(a: Typed, length: number): void {
  (a.buffer as ResizableBuffer).resize(length * a.BYTES_PER_ELEMENT);
}
