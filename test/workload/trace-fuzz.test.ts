// The trace reader under 10,000 random traces of both formats: every one ends in accesses or a
// typed error (ZSWAP_E_INPUT), never an untyped throw and never a hang (the property runs in a
// worker under a generous watchdog).

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ZswapError } from "../../src/errors.ts";
import { type TraceFormat, traceParse } from "../../src/workload/trace.ts";
import { inWorker, isTestThread } from "../watchdog.ts";

/** Lines of either format, well-formed or nearly so, and garbage. */
const traceLine = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("R", "W", "r", "X"),
      fc.constantFrom(" ", "  ", ""),
      fc.constantFrom("", "0x"),
      fc.bigInt({ min: 0n, max: 2n ** 80n }),
    )
    .map(([op, sp, x, n]) => `${op}${sp}${x}${n.toString(16)}`),
  fc
    .tuple(
      fc.constantFrom(" L", " S", " M", "I ", "L"),
      fc.bigInt({ min: 0n, max: 2n ** 70n }),
      fc.nat(),
    )
    .map(([op, a, size]) => `${op} ${a.toString(16)},${size}`),
  fc.constantFrom(
    "",
    "# comment",
    "==12== Lackey",
    "--12-- warning",
    "R",
    "W 0x",
    " L ,8",
    "R 1 # c",
  ),
  fc.string({ maxLength: 40 }),
);

const scenarios = {
  async fuzz() {
    await fc.assert(
      fc.asyncProperty(
        fc.array(traceLine, { maxLength: 30 }),
        fc.constantFrom<TraceFormat>("lackey", "text"),
        async (lines, format) => {
          try {
            for await (const a of traceParse(lines, format, "fuzz")) {
              assert.ok(Number.isInteger(a.page) && a.page >= 0 && a.page < lines.length * 2);
            }
          } catch (err) {
            if (!(err instanceof ZswapError && err.code === "ZSWAP_E_INPUT")) throw err;
          }
        },
      ),
      { numRuns: 10_000, seed: 53 },
    );
  },
};

if (await isTestThread(scenarios)) {
  test("10,000 random traces: accesses or a typed error, never a throw or a hang", () =>
    inWorker(import.meta.url, "fuzz", 120_000));
}
