// Trace readers: hand-written lackey and text traces through traceFormat / traceAccesses /
// traceScan, and a real program's lackey trace (valgrind) replayed by `zswap run --trace`.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Access } from "../../src/workload/patterns.ts";
import type { RunReport } from "../../src/workload/plan.ts";
import {
  type TraceFormat,
  traceAccesses,
  traceFormat,
  traceScan,
} from "../../src/workload/trace.ts";
import { ok, zswap } from "../cli/zswap.ts";

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-trace-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function fileWrite(name: string, lines: string[]): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `${lines.join("\n")}\n`);
  return p;
}

async function all(p: string, format: TraceFormat): Promise<Access[]> {
  const out: Access[] = [];
  for await (const a of traceAccesses(p, format)) out.push(a);
  return out;
}

const r = (page: number): Access => ({ page, write: false });
const w = (page: number): Access => ({ page, write: true });

test("lackey: data accesses by page, renumbered; I and ==pid== lines skipped; runs merged", async () => {
  const p = fileWrite("small.lackey", [
    "==4242== Lackey, an example Valgrind tool",
    "==4242== Command: ./prog",
    "--4242-- WARNING: unhandled amd64-linux syscall: 334",
    "I  04011a0,3",
    " L 1fff000778,8", // page 0x1fff000 -> 0
    " S 1fff000770,8", // same page, merged: 0 written
    "I  04011a3,4",
    " M 0804a010,4", // 0x804a -> 1, a modify writes
    " L 0804b000,4", // 0x804b -> 2
    " L 0804bffc,4", // same page again, merged
    " L 1fff000ff8,8", // back to 0
    " L 10,4", // an address below one page: page 0x0 -> 3
    " S 0804a000,1", // 1 again, written
    "==4242== ",
    "==4242== I   refs:      12",
  ]);
  assert.equal(await traceFormat(p), "lackey");
  assert.deepEqual(await all(p, "lackey"), [w(0), w(1), r(2), r(0), r(3), w(1)]);
  assert.deepEqual(await traceScan(p, "lackey"), { pages: 4, accesses: 6 });
});

test("lackey: an access that crosses a page boundary touches both pages", async () => {
  const p = fileWrite("straddle.lackey", [
    " L 0804affe,4", // 0x804a and 0x804b -> 0, 1
    " S 0804c000,8", // -> 2
    " S 0804cff8,8", // ends exactly at the boundary: page 2 only, merged
    " M 0804cffc,8", // 2 (merged) then 0x804d -> 3
  ]);
  assert.deepEqual(await all(p, "lackey"), [r(0), r(1), w(2), w(3)]);
});

test("text: R/W lines with hex pages, 0x optional, comments and blank lines skipped", async () => {
  const p = fileWrite("small.trace", [
    "# page trace",
    "R 7f3a2",
    "W 0x7f3a2", // same page, merged into a write
    "",
    "R 10  # a trailing comment",
    "R 0x10",
    "W 7F3A3",
    "R 7f3a2",
  ]);
  assert.equal(await traceFormat(p), "text");
  assert.deepEqual(await all(p, "text"), [w(0), r(1), w(2), r(0)]);
  assert.deepEqual(await traceScan(p, "text"), { pages: 3, accesses: 4 });
});

test("a bad line is an error naming the file and the line", async () => {
  const lackey = fileWrite("bad.lackey", ["==1== x", " L 1000,4", " X 2000,4", " L 3000,4"]);
  await assert.rejects(all(lackey, "lackey"), {
    code: "ZSWAP_E_INPUT",
    message: `ZSWAP_E_INPUT: ${lackey}:3: not a lackey trace line: " X 2000,4"`,
  });
  const text = fileWrite("bad.trace", ["R 1", "W 2", "R -3"]);
  await assert.rejects(traceScan(text, "text"), { message: new RegExp(`${text}:3: `) });
  // The format's guess reads up to the first data line and stops at a bad one.
  const neither = fileWrite("neither.trace", ["# comment", "read 0x1000"]);
  await assert.rejects(traceFormat(neither), {
    message: new RegExp(`${neither}:2: not a lackey or text trace line`),
  });
  // A lackey trace read as text fails on its first line.
  await assert.rejects(traceScan(lackey, "text"), { message: new RegExp(`${lackey}:1: `) });
});

test("a trace with no data access, or no file, is an error", async () => {
  const empty = fileWrite("empty.lackey", ["==1== Lackey", "I  0400000,4", "==1== done"]);
  await assert.rejects(traceScan(empty, "lackey"), { message: /holds no data accesses/ });
  await assert.rejects(traceFormat(empty), { message: /holds no data accesses/ });
  const missing = path.join(dir, "missing");
  await assert.rejects(traceScan(missing, "text"), {
    message: new RegExp(`cannot read trace ${missing}`),
  });
});

test("page numbers beyond a 64-bit address space are refused with the line, not looped over", async () => {
  // 2^53 and more: the page number has no exact double neighbour, so a loop `page++` never ends.
  for (const line of ["R 20000000000000", "W 0x10000000000000", "R ffffffffffffffffffff"]) {
    const p = fileWrite("huge.trace", ["R 1", "W 2", line]);
    await assert.rejects(all(p, "text"), {
      code: "ZSWAP_E_INPUT",
      message: `ZSWAP_E_INPUT: ${p}:3: a page number beyond a 64-bit address space: ${JSON.stringify(line)}`,
    });
  }
  // The last page of a 64-bit address space is fine; lackey's largest address too.
  assert.deepEqual(await all(fileWrite("top.trace", ["R fffffffffffff", "R 0"]), "text"), [
    r(0),
    r(1),
  ]);
  const top = fileWrite("top.lackey", [" L ffffffffffffff00,8", " L fffffffffffffffc,8"]);
  await assert.rejects(all(top, "lackey"), {
    message: /:2: a page number beyond a 64-bit address space/,
  });
});

test("a line longer than a trace line can be is refused", async () => {
  const p = fileWrite("long.trace", ["R 1", `R ${"1".repeat(5000)}`]);
  await assert.rejects(all(p, "text"), {
    code: "ZSWAP_E_INPUT",
    message: /long.trace:2: not a text trace line/,
  });
  fs.writeFileSync(p, `R 1\n${"#".repeat(3 << 20)}`); // 3 MiB, no newline
  await assert.rejects(all(p, "text"), {
    code: "ZSWAP_E_INPUT",
    message: /long.trace:2: not a text trace line/,
  });
});

test("a folder as a trace is a ZswapIOError naming it", async () => {
  await assert.rejects(traceScan(dir, "text"), {
    code: "ZSWAP_E_IO",
    message: new RegExp(`cannot read trace ${dir}.*EISDIR`),
  });
});

/** Touches every page of a 3 MiB heap block four times, writing one byte and reading another. */
const PROGRAM = `
#include <stdio.h>
#include <stdlib.h>
#define PAGES 768
#define PASSES 4
int main(void) {
  volatile unsigned char *p = malloc((size_t)PAGES * 4096);
  unsigned long sum = 0;
  if (p == NULL) return 1;
  for (int pass = 0; pass < PASSES; pass++)
    for (int i = 0; i < PAGES; i++) {
      p[(size_t)i * 4096 + (pass * 64) % 4096] = (unsigned char)(i + pass);
      sum += p[(size_t)i * 4096];
    }
  printf("%lu\\n", sum);
  free((void *)p);
  return 0;
}
`;

function toolNeeded(tool: string, pkg: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
  assert.ok(
    found,
    `${tool} is missing: install it with \`apt-get install -y ${pkg}\` (.ci/run does)`,
  );
}

test("zswap run --trace replays a real program's valgrind lackey trace", async () => {
  toolNeeded("valgrind", "valgrind");
  toolNeeded("cc", "gcc");
  const src = path.join(dir, "touch.c");
  const prog = path.join(dir, "touch");
  const trace = path.join(dir, "touch.lackey");
  fs.writeFileSync(src, PROGRAM);
  execFileSync("cc", ["-O0", "-o", prog, src]);
  execFileSync("valgrind", ["--tool=lackey", "--trace-mem=yes", `--log-file=${trace}`, prog], {
    stdio: "ignore",
    timeout: 30_000,
  });
  const { stdout } = ok(
    await zswap([
      "run",
      "--trace",
      trace,
      "--configs",
      "disk,writeback",
      "--resident",
      "25%",
      "--pages-from",
      "generated",
      "--json",
    ]),
  );
  const report = JSON.parse(stdout) as RunReport;
  assert.match(report.plan.workload, /\(lackey, \d+ page accesses\)/);
  // The heap block alone is 768 pages, each touched on four passes (the loader adds more).
  assert.ok(report.plan.pages >= 768, `pages ${report.plan.pages}`);
  assert.ok(report.plan.accesses >= 768 * 4, `accesses ${report.plan.accesses}`);
  assert.equal(report.plan.frames, Math.floor(report.plan.pages / 4));
  assert.deepEqual(
    report.results.map((c) => c.name),
    ["disk", "writeback"],
  );
  for (const c of report.results) {
    assert.equal(c.accesses, report.plan.accesses, c.name);
    // Each later pass finds the block swapped out: 768 pages, three times over at least.
    assert.ok(c.verified >= 768 * 3, `${c.name}: verified ${c.verified}`);
  }
  assert.ok(report.results[1]!.counters.zswpout! > 0, "zswap stored pages");
});
