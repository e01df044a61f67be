// `zswap dict train` and the opt-in configurations of `zswap run` (dict, dedup), as a user runs
// them: a child process, its exit code, its output and the files it leaves.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { dictionaryId } from "../../src/compress/index.ts";
import { PAGE_SIZE } from "../../src/constants.ts";
import { generatePages } from "../../src/workload/generate.ts";
import type { RunReport } from "../../src/workload/plan.ts";
import { CONFIG_NAMES } from "../../src/workload/run.ts";
import { ok, zswap } from "./zswap.ts";

let dir: string;
let corpus: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-dict-"));
  corpus = path.join(dir, "corpus.pages");
  fs.writeFileSync(corpus, Buffer.concat(generatePages(256, 5)));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("dict train writes a new zstd dictionary, mode 0600, and nothing else", async () => {
  const folder = fs.mkdtempSync(path.join(dir, "out-"));
  const out = path.join(folder, "pages.dict");
  const { stdout } = ok(
    await zswap(["dict", "train", "--pages-from", corpus, "--out", out, "--size", "16KiB"]),
  );
  assert.deepEqual(fs.readdirSync(folder), ["pages.dict"]);
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  const bytes = new Uint8Array(fs.readFileSync(out));
  assert.ok(bytes.length > 0 && bytes.length <= 16_384);
  const m = /^wrote a (\d+)-byte zstd dictionary \(id (\d+)\)/m.exec(stdout);
  assert.ok(m, stdout);
  assert.equal(Number(m[1]), bytes.length);
  assert.equal(Number(m[2]), dictionaryId(bytes));
  // Never over an existing file: the dictionary stays as it was.
  const again = await zswap(["dict", "train", "--pages-from", corpus, "--out", out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /ZSWAP_E_EXISTS/);
  assert.deepEqual(new Uint8Array(fs.readFileSync(out)), bytes);
});

test("dict train: bad input is a usage error in the user's terms, and no file is left", async () => {
  const folder = fs.mkdtempSync(path.join(dir, "bad-"));
  const out = path.join(folder, "x.dict");
  const few = path.join(folder, "few.pages");
  fs.writeFileSync(few, Buffer.concat(generatePages(4, 1)));
  const ragged = path.join(folder, "ragged.pages");
  fs.writeFileSync(ragged, Buffer.alloc(PAGE_SIZE + 1, 1));
  const cases: [string[], number, RegExp][] = [
    [["--pages-from", few, "--out", out], 2, /pages to train on; the trainer needs at least 16/],
    [["--pages-from", ragged, "--out", out], 2, /not a whole number of 4096-byte pages/],
    [["--pages-from", path.join(folder, "none"), "--out", out], 1, /cannot read page corpus/],
    [["--pages-from", corpus], 2, /needs --pages-from FILE and --out DICT/],
    [["--pages-from", corpus, "--out", out, "--size", "10B"], 2, /--size must be/],
  ];
  for (const [args, code, message] of cases) {
    const e = await zswap(["dict", "train", ...args]);
    assert.equal(e.code, code, `${args.join(" ")}: ${e.stderr}`);
    assert.match(e.stderr, message);
  }
  assert.deepEqual(fs.readdirSync(folder).sort(), ["few.pages", "ragged.pages"]);
});

test("run --configs dict,dedup: opt-in, every swap-in verified, the dictionary named", async () => {
  const dict = path.join(dir, "run.dict");
  ok(await zswap(["dict", "train", "--pages-from", corpus, "--out", dict, "--size", "16KiB"]));
  const small = ["--accesses", "3000", "--working-set", "512p", "--pages-from", "generated"];
  const args = ["run", ...small, "--device", "memory", "--json"];
  const e = ok(await zswap([...args, "--configs", "writeback,dict,dedup", "--dict", dict]));
  const report = JSON.parse(e.stdout) as RunReport;
  assert.deepEqual(
    report.results.map((r) => r.name),
    ["writeback", "dict", "dedup"],
  );
  for (const r of report.results) assert.equal(r.verified, r.swapIns);
  assert.match(report.plan.dictionary!, /run\.dict/);
  const byName = new Map(report.results.map((r) => [r.name, r]));
  assert.ok(byName.get("dict")!.counters.zswpout! > 0);
  assert.ok(byName.get("dedup")!.counters.dedup_pages_saved >= 0);
  // Not named, not run; --dict without the dict configuration is a usage error.
  assert.ok(!CONFIG_NAMES.includes("dict") && !CONFIG_NAMES.includes("dedup"));
  const noConfig = await zswap([...args, "--dict", dict]);
  assert.equal(noConfig.code, 2);
  assert.match(noConfig.stderr, /add it to --configs/);
  const notDict = await zswap([...args, "--configs", "dict", "--dict", corpus]);
  assert.equal(notDict.code, 2);
  assert.match(
    notDict.stderr,
    /ZSWAP_E_INPUT: dictionary .* (is not a zstd dictionary|bytes, more than)/,
  );
});
