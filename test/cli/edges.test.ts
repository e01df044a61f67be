// The command's edges, through a child process as a user meets them: signals, files that exist or
// are symlinks, full disks, closed pipes, exit codes. After each, nothing is left on disk.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ok, REPO, zswap, zswapStart } from "./zswap.ts";

const SMALL = ["--accesses", "2000", "--working-set", "256p", "--pages-from", "generated"];
/** Long enough that a signal finds it running (it is stopped well before it would end). */
const LONG = ["--accesses", "50000000", "--working-set", "2048p", "--pages-from", "generated"];

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-edges-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function folder(name: string): string {
  return fs.mkdtempSync(path.join(dir, `${name}-`));
}

/** What `folder` holds, tsx's compile cache aside (the child runs the sources through tsx). */
function leftIn(folder: string): string[] {
  return fs.readdirSync(folder).filter((name) => !name.startsWith("tsx-"));
}

/** Waits until process `pid` holds a file of `folder` open, unlinked: its swap file. */
async function swapFileOpenIn(pid: number, folder: string): Promise<void> {
  for (;;) {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const target = (() => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return "";
        }
      })();
      if (target.startsWith(`${folder}/`) && target.endsWith(" (deleted)")) return;
    }
    await sleep(50);
  }
}

describe("signals", () => {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    test(`${signal} stops the run, prints what finished, exits ${code}, leaves nothing`, async () => {
      const tmp = folder(signal);
      const { child, exit } = zswapStart(["run", ...LONG, "--configs", "zswap,best"], {
        env: { ...process.env, TMPDIR: tmp },
      });
      await swapFileOpenIn(child.pid!, tmp);
      child.kill(signal);
      const e = await exit;
      assert.equal(e.code, code, e.stderr);
      assert.match(e.stdout, /^workload: +shift over 2048 pages/m);
      assert.match(
        e.stdout,
        new RegExp(
          `^interrupted by ${signal} during run 1 of "zswap, no writeback", which is not shown$`,
          "m",
        ),
      );
      assert.equal(e.stderr, "");
      assert.deepEqual(leftIn(tmp), [], "no swap file left");
    });
  }

  test("SIGKILL leaves no swap file behind, named or not", async () => {
    for (const named of [false, true]) {
      const tmp = folder("kill");
      const args = named ? ["--swapfile", path.join(tmp, "s.swap")] : [];
      const { child, exit } = zswapStart(["run", ...LONG, ...args], {
        env: { ...process.env, TMPDIR: tmp },
      });
      await swapFileOpenIn(child.pid!, tmp);
      child.kill("SIGKILL");
      assert.equal((await exit).code, null);
      assert.deepEqual(leftIn(tmp), [], `named ${named}: nothing left`);
    }
  });
});

describe("the swap file", () => {
  test("an existing --swapfile is refused (exit 2) and kept as it was; a symlink too", async () => {
    const tmp = folder("existing");
    const file = path.join(tmp, "mine");
    fs.writeFileSync(file, "keep", { mode: 0o644 });
    const link = path.join(tmp, "link.swap");
    fs.symlinkSync(file, link);
    for (const target of [file, link, path.join(tmp, "dangling")]) {
      if (target.endsWith("dangling")) fs.symlinkSync(path.join(tmp, "nowhere"), target);
      const e = await zswap(["run", ...SMALL, "--swapfile", target]);
      assert.equal(e.code, 2, e.stderr);
      assert.match(e.stderr, /exists; .*--swapfile-reuse/);
      assert.equal(e.stdout, "");
    }
    assert.equal(fs.readFileSync(file, "utf8"), "keep");
    assert.equal(fs.statSync(file).mode & 0o777, 0o644);
    assert.deepEqual(fs.readdirSync(tmp).sort(), ["dangling", "link.swap", "mine"]);
  });

  test("--swapfile-reuse uses a file the user owns, sets it 0600 and keeps it", async () => {
    const tmp = folder("reuse");
    const file = path.join(tmp, "swap");
    fs.writeFileSync(file, "", { mode: 0o644 });
    ok(await zswap(["run", ...SMALL, "--configs", "disk", "--swapfile", file, "--swapfile-reuse"]));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(file).size, 256 * 4096);
    assert.deepEqual(fs.readdirSync(tmp), ["swap"], "nothing but the swap file itself");
  });

  test("a new --swapfile is gone after the run, and nothing else was made beside it", async () => {
    const tmp = folder("new");
    fs.writeFileSync(path.join(tmp, "s.swap.probe"), "unrelated");
    ok(await zswap(["run", ...SMALL, "--swapfile", path.join(tmp, "s.swap")]));
    assert.deepEqual(fs.readdirSync(tmp), ["s.swap.probe"]);
    assert.equal(fs.readFileSync(path.join(tmp, "s.swap.probe"), "utf8"), "unrelated");
  });
});

describe("conventions", () => {
  test("--version prints the package's version", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
    assert.equal(ok(await zswap(["--version"])).stdout, `zswap-ts ${version}\n`);
  });

  test("usage errors exit 2: an unknown command, an unknown flag, no command", async () => {
    for (const args of [["frobnicate"], ["run", "--bogus"], []]) {
      const e = await zswap(args);
      assert.equal(e.code, 2, `${args.join(" ")}: ${e.stderr}`);
      assert.doesNotMatch(e.stderr, /\n\s+at /, "no stack trace");
    }
  });

  test("a trace through a pipe is refused at once: it is read once per configuration", async () => {
    const argv = [
      "run",
      "--device",
      "memory",
      "--pages-from",
      "generated",
      "--trace",
      "/dev/stdin",
    ];
    const { child, exit } = zswapStart(argv, { stdio: ["pipe", "pipe", "pipe"] });
    child.stdin!.end("R 1\nW 2\nR 3\nR 4\nW 5\nR 1\n");
    const e = await exit;
    assert.equal(e.code, 2, e.stderr);
    assert.match(e.stderr, /trace \/dev\/stdin is not a regular file/);
  });

  test("a closed pipe on stdout (| head) ends quietly", async () => {
    const { child, exit } = zswapStart(["run", ...SMALL]);
    child.stdout!.once("data", () => child.stdout!.destroy());
    const e = await exit;
    assert.equal(e.code, 0, e.stderr);
    assert.equal(e.stderr, "");
  });

  test("stdout on a full device is a failure (exit 1) with a message, not a stack", async () => {
    const full = fs.openSync("/dev/full", "w");
    try {
      const e = await zswapStart(["run", ...SMALL], { stdio: ["ignore", full, "pipe"] }).exit;
      assert.equal(e.code, 1, e.stderr);
      assert.match(e.stderr, /^zswap: cannot write the output: .*ENOSPC/);
      assert.doesNotMatch(e.stderr, /\n\s+at /);
    } finally {
      fs.closeSync(full);
    }
  });

  test("any resident size of at least one page runs, with every configuration", async () => {
    ok(
      await zswap([
        "run",
        "--working-set",
        "8p",
        "--accesses",
        "2000",
        "--pages-from",
        "generated",
        "--configs",
        "writeback",
      ]),
    );
    ok(
      await zswap([
        "run",
        "--accesses",
        "2000",
        "--working-set",
        "512p",
        "--pages-from",
        "generated",
        "--resident",
        "1p",
        "--configs",
        "best",
      ]),
    );
  });
});

describe("reports and captures on a full disk", () => {
  let tiny: string | undefined;
  let why = "";
  before(() => {
    const at = folder("tiny");
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", at], { stdio: "pipe" });
      tiny = at;
    } catch (error) {
      why = `cannot mount a 64 KiB tmpfs here (root is needed): ${(error as Error).message.split("\n")[0]}`;
    }
  });
  after(() => {
    if (tiny !== undefined) execFileSync("umount", [tiny]);
  });

  test("--html: the results come first, the report fails whole (exit 1), no partial file", async (t) => {
    if (tiny === undefined) return t.skip(why);
    const report = path.join(tiny, "report.html");
    const e = await zswap(["run", ...SMALL, "--html", report]);
    assert.equal(e.code, 1, e.stderr);
    assert.match(e.stdout, /every swap-in verified/);
    assert.match(e.stderr, /--html .*report.html: cannot write it: .*ENOSPC/);
    assert.deepEqual(fs.readdirSync(tiny), []);
  });

  test("capture --out: fails whole (exit 1), no truncated corpus", async (t) => {
    if (tiny === undefined) return t.skip(why);
    const out = path.join(tiny, "self.pages");
    const e = await zswap(["capture", "--pid", "self", "--out", out, "--max", "4MiB"]);
    assert.equal(e.code, 1, e.stderr);
    assert.match(e.stderr, /ENOSPC/);
    assert.deepEqual(fs.readdirSync(tiny), []);
  });

  test("an existing --html or --out is refused before anything runs, and kept", async () => {
    const tmp = folder("taken");
    const taken = path.join(tmp, "taken");
    fs.writeFileSync(taken, "keep");
    for (const args of [
      ["run", ...SMALL, "--html", taken],
      ["capture", "--pid", "self", "--out", taken],
    ]) {
      const e = await zswap(args);
      assert.equal(e.code, 2, e.stderr);
      assert.match(e.stderr, /ZSWAP_E_EXISTS: .*taken: a file is already there/);
      assert.equal(e.stdout, "");
    }
    assert.equal(fs.readFileSync(taken, "utf8"), "keep");
  });
});
