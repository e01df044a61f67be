// Internal invariants: what a comment says always holds is checked here. A failure is a bug in
// zswap-ts, never the caller's input, so it is not a ZswapError with a user error code.

export class ZswapInvariantError extends Error {
  override name = "ZswapInvariantError";
}

export function assert(condition: unknown, invariant: string): asserts condition {
  if (!condition) throw new ZswapInvariantError(`invariant broken: ${invariant}`);
}
