// `zswap kernel`: its flags, its refusal where the machine cannot run it, and, where it can
// (root, cgroup v1's memory controller, swapon allowed), a small comparison against the
// machine's own zswap that leaves the machine as it found it, also when it fails or is stopped.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { describe, test } from "node:test";
import type { KernelReport } from "../../src/kernel/compare.ts";
import { machineRefusals, swapsOn, zswapParameters } from "../../src/kernel/machine.ts";
import { ok, zswap, zswapStart } from "./zswap.ts";

describe("zswap kernel: flags", () => {
  test("--help prints the usage", async () => {
    const { stdout } = ok(await zswap(["kernel", "--help"]));
    assert.match(stdout, /^zswap kernel \[options\]/);
    assert.match(stdout, /--pool-percent N/);
  });

  for (const [args, message] of [
    [["--configs", "reject,nope"], /--configs must be one of reject, wait/],
    [["--working-set", "3GiB"], /--working-set must be at most 524288 pages/],
    [["--pool-percent", "0"], /--pool-percent must be an integer in 1..100/],
    [["--compressor", "lzo-rle"], /--compressor must be one of/],
    [["--trace", "t", "--accesses", "5"], /--accesses does not apply with --trace/],
    [["--unknown"], /Unknown option '--unknown'/],
  ] as const) {
    test(`${args.join(" ")} is a usage error, before anything is changed`, async () => {
      const e = await zswap(["kernel", ...args]);
      assert.equal(e.code, 2, e.stderr);
      assert.match(e.stderr, message);
      assert.doesNotMatch(e.stderr, /^\+ /m, "no command was run on the machine");
    });
  }
});

/** What the comparison must leave as it found it. */
function machineState() {
  const cgroups = fs.existsSync("/sys/fs/cgroup/memory")
    ? fs.readdirSync("/sys/fs/cgroup/memory").filter((n) => n.startsWith("zswap-kernel-"))
    : [];
  return {
    swaps: swapsOn(),
    zswap: fs.existsSync("/sys/module/zswap") ? zswapParameters() : {},
    pageCluster: fs.readFileSync("/proc/sys/vm/page-cluster", "utf8"),
    debugfs: fs.readFileSync("/proc/mounts", "utf8").includes(" /sys/kernel/debug "),
    cgroups,
    // The helper, its files and the swap file live in one folder, removed with the rest.
    folders: fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("zswap-kernel-")),
  };
}

const refusals = machineRefusals();
const cannot = refusals.length > 0 ? `this machine cannot run it: ${refusals.join("; ")}` : false;

describe("zswap kernel on this machine", () => {
  test("refuses at once, saying why, where the machine cannot run it", {
    skip: !cannot && "this machine can run it",
  }, async () => {
    const e = await zswap(["kernel", "--working-set", "64MiB"]);
    assert.equal(e.code, 1);
    assert.match(e.stderr, /ZSWAP_E_MACHINE: zswap kernel cannot run here: /);
    assert.ok(e.stderr.includes(refusals[0]), e.stderr);
  });

  // Small: 128 MiB through a 64 MiB cgroup, every page in a pool of 20% of memory.
  const small = ["kernel", "--working-set", "128MiB", "--limit", "64MiB", "--accesses", "30000"];

  test("a small comparison: the same pages stored on both sides, the machine left as it was", {
    skip: cannot,
  }, async () => {
    const before = machineState();
    const e = ok(await zswap([...small, "--configs", "reject", "--json"], 120_000));
    assert.deepEqual(machineState(), before);
    const r = JSON.parse(e.stdout) as KernelReport;
    const row = (name: string) => r.rows.find((x) => x.name === name)!;
    // Everything was pushed out: every page that is not zero is stored, on both sides.
    for (const name of ["stored_pages after pageout", "swpout_zero"]) {
      const { kernel, ours } = row(name);
      assert.ok(kernel > 0 && Math.abs(ours.reject! - kernel) <= kernel * 0.01, name);
    }
    for (const name of ["zswpout", "zswpin", "pool_total_size after pageout"]) {
      const { kernel, ours } = row(name);
      assert.ok(
        Math.abs(ours.reject! - kernel) <= kernel * 0.1,
        `${name}: ${kernel} ${ours.reject}`,
      );
    }
    assert.equal(row("declined to the device").kernel, 0, "the pool held every page");
    assert.ok(r.ours.reject!.verified > 0);
    assert.ok(r.commands.some((c) => c.startsWith("swapon ")));
    assert.ok(r.commands.some((c) => c.startsWith("swapoff ")));
    assert.match(e.stderr, /^\+ echo Y > \/sys\/module\/zswap\/parameters\/enabled$/m);
  });

  test("a failure halfway (a swap file on tmpfs) is undone, and says why", {
    skip:
      cannot ||
      (!/ \/dev\/shm tmpfs /.test(fs.readFileSync("/proc/mounts", "utf8")) &&
        "no tmpfs at /dev/shm"),
  }, async () => {
    const before = machineState();
    const e = await zswap([...small, "--folder", "/dev/shm"]);
    assert.equal(e.code, 1, e.stderr);
    assert.match(e.stderr, /ZSWAP_E_IO: swapon /);
    assert.match(e.stderr, /^\+ rm -f \/dev\/shm\/zswap-kernel-.*\/swapfile$/m);
    assert.deepEqual(machineState(), before);
  });

  for (const times of [1, 2]) {
    test(`Ctrl-C ${times === 1 ? "once" : "twice"} while the helper runs: the machine is put back, exit 130`, {
      skip: cannot,
    }, async () => {
      const before = machineState();
      const { child, exit } = zswapStart(small);
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => {
        stderr += d;
        if (/cgroup\.procs .* &\n/.test(stderr) && !child.killed) {
          child.kill("SIGINT");
          // The second one lands while the first one's undo may still run: it exits at once.
          if (times === 2) setTimeout(() => child.kill("SIGINT"), 20);
        }
      });
      const e = await exit;
      assert.equal(e.code, 130, e.stderr);
      assert.deepEqual(machineState(), before);
    });
  }
});
