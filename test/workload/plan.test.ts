// A run's plan, in process: what the flags asked for, resolved against the files they name, and
// every inconsistency a typed error before any swap file is made.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { type RunArgs, runArgsParse } from "../../src/cli/run.ts";
import { RUN_FRAMES_MAX } from "../../src/constants.ts";
import { ZswapArgumentError, ZswapIOError } from "../../src/errors.ts";
import { planMake } from "../../src/workload/plan.ts";
import { unlinkedOpen } from "../device/helpers.ts";

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-plan-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function request(argv: string[]) {
  return (runArgsParse([...argv, "--pages-from", "generated"]) as RunArgs).request;
}

describe("planMake", () => {
  test("a pattern's plan: frames from the share, a pool of half the compressed rest", async () => {
    const { plan, spec } = await planMake(request(["--working-set", "512p", "--accesses", "100"]));
    assert.equal(plan.pages, 512);
    assert.equal(plan.frames, 64);
    assert.equal(plan.accesses, 100);
    assert.ok(
      plan.poolBytes > 4096 && plan.poolBytes < ((512 - 64) * 4096) / 2,
      `${plan.poolBytes}`,
    );
    assert.match(plan.pagesSource, /^generated pages, seed 1 /);
    assert.equal(spec.corpus.length, 512);
    let n = 0;
    for await (const _ of spec.accesses(spec.seed)) n++;
    assert.equal(n, 100);
  });

  test("without --resident, a working set or trace of under 8 pages gets one frame, not a refusal", async () => {
    const { plan } = await planMake(request(["--working-set", "4p", "--accesses", "10"]));
    assert.equal(plan.frames, 1);
    const three = path.join(dir, "three.trace");
    fs.writeFileSync(three, "R 1\nW 2\nR 3\nR 1\n");
    const traced = await planMake(request(["--trace", three]));
    assert.equal(traced.plan.pages, 3);
    assert.equal(traced.plan.frames, 1);
  });

  const bad: [string, string[], RegExp][] = [
    [
      "a pool larger than the working set",
      ["--working-set", "512p", "--pool", "4MiB"],
      /--pool \(4194304 bytes\) is larger than the working set/,
    ],
    ["no resident frame", ["--resident", "0p"], /--resident must be at least one page frame/],
    [
      "resident as large as the working set",
      ["--working-set", "512p", "--resident", "512p"],
      /--resident \(512 pages\) must be smaller than the working set/,
    ],
    [
      "more frames than modelled",
      ["--working-set", "4194304p", "--resident", "50%"],
      new RegExp(`more than the ${RUN_FRAMES_MAX} frames`),
    ],
  ];
  for (const [what, argv, message] of bad) {
    test(`refused: ${what}, with no swap file made`, async () => {
      await assert.rejects(planMake(request(argv)), (err: unknown) => {
        assert.ok(err instanceof ZswapArgumentError, String(err));
        assert.match(err.message, message);
        return true;
      });
      assert.deepEqual(await unlinkedOpen(os.tmpdir()), [], "no swap file is open");
    });
  }

  test("a trace of one page, a missing trace, a folder of pages: typed errors", async () => {
    const one = path.join(dir, "one.trace");
    fs.writeFileSync(one, "R 1\nW 1\n");
    await assert.rejects(planMake(request(["--trace", one])), {
      code: "ZSWAP_E_INPUT",
      message: /touches one page/,
    });
    const missing = path.join(dir, "missing.trace");
    await assert.rejects(
      planMake(request(["--trace", missing])),
      (err: unknown) => err instanceof ZswapIOError && /ENOENT/.test(err.message),
    );
    const args = runArgsParse(["--pages-from", dir, "--working-set", "64p"]) as RunArgs;
    await assert.rejects(planMake(args.request), {
      code: "ZSWAP_E_INPUT",
      message: /is not a regular file/,
    });
    const ragged = path.join(dir, "ragged.pages");
    fs.writeFileSync(ragged, new Uint8Array(5000));
    const partial = runArgsParse(["--pages-from", ragged, "--working-set", "64p"]) as RunArgs;
    await assert.rejects(planMake(partial.request), {
      code: "ZSWAP_E_INPUT",
      message: /5000 bytes, not a whole number/,
    });
  });

  test("an existing swap file is refused at once, without reuse, and left as it was", async () => {
    const swapfile = path.join(dir, "taken.swap");
    fs.writeFileSync(swapfile, "the user's", { mode: 0o644 });
    const argv = ["--working-set", "64p", "--accesses", "10", "--swapfile", swapfile];
    await assert.rejects(planMake(request(argv)), {
      code: "ZSWAP_E_EXISTS",
      message: /add --swapfile-reuse/,
    });
    const link = path.join(dir, "link.swap");
    fs.symlinkSync(swapfile, link);
    const reused = ["--working-set", "64p", "--swapfile", link, "--swapfile-reuse"];
    await assert.rejects(planMake(request(reused)), {
      code: "ZSWAP_E_OPTION",
      message: /is not a regular file/,
    });
    const { spec } = await planMake(request([...argv, "--swapfile-reuse"]));
    assert.deepEqual(spec.swapfile, { path: swapfile, reuse: true });
    assert.equal(fs.readFileSync(swapfile, "utf8"), "the user's");
    assert.equal(fs.statSync(swapfile).mode & 0o777, 0o644, "the plan changes nothing");
  });
});
