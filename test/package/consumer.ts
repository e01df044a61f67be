// The package as a user gets it: `npm pack`, the tarball installed into an empty project, then
// plain Node (ESM and CommonJS), a strict TypeScript project and the `zswap` command use it.
// Installs from the npm registry, so it runs apart from `npm test`: `npm run test:package`.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CONFIG_NAMES } from "../../src/workload/run.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** The user's program, its TypeScript project and its CommonJS script. */
const APP = fileURLToPath(new URL("app/", import.meta.url));
const INSTALL_MS = 10 * 60_000;
const RUN_MS = 2 * 60_000;

/**
 * Installing with CC=false CXX=false proves no compiler is needed, which holds only once the
 * codecs ship prebuilt in the tarball: until then the step is skipped unless this is "1".
 */

/** The environment without the npm_* variables of the `npm run` that started this test. */
function envClean(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")),
  );
  return { ...env, ...extra };
}

/** Runs a command to its end; its stdout, or an error with everything it printed. */
function run(
  cmd: string,
  args: readonly string[],
  cwd: string,
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): string {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: envClean(opts.env),
    timeout: opts.timeoutMs ?? RUN_MS,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    const how = r.error?.message ?? `exited ${r.status ?? r.signal}`;
    throw new Error(
      `${cmd} ${args.join(" ")}: ${how}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout}`,
    );
  }
  return r.stdout;
}

interface Manifest {
  files: string[];
  allowScripts: Record<string, boolean>;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
}

const manifest = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as Manifest;

/**
 * An empty project that installs the tarball as a user would: our dependencies' install scripts
 * approved as our own package.json approves them; the tarball's `prepare` (the build, for a
 * checkout) denied, as a registry install never runs it.
 */
function appInstall(
  dir: string,
  tarball: string,
  env: Record<string, string> = {},
  scripts: "ours denied" | "all run" | "none run" = "ours denied",
): void {
  const runtime = { ...manifest.dependencies, ...manifest.optionalDependencies };
  const allowScripts = Object.fromEntries(
    Object.entries(manifest.allowScripts).filter(([name]) => name in runtime),
  );
  allowScripts["zswap-ts"] = scripts === "all run";
  fs.mkdirSync(dir);
  const pkg = { name: "app", private: true, type: "module", allowScripts };
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg));
  for (const file of fs.readdirSync(APP))
    fs.copyFileSync(path.join(APP, file), path.join(dir, file));
  const types = `@types/node@${manifest.devDependencies["@types/node"]}`;
  const flags = scripts === "none run" ? ["--ignore-scripts"] : [];
  run("npm", ["install", "--no-audit", "--no-fund", ...flags, tarball, types], dir, {
    env,
    timeoutMs: INSTALL_MS,
  });
}

/** The ESM program's pages all came back, through both zswap and the swap file. */
function roundTripCheck(dir: string): void {
  const r = JSON.parse(run("node", ["swap-round-trip.mjs"], dir)) as Record<string, number>;
  assert.equal(r.mismatches, 0, `pages that came back wrong: ${JSON.stringify(r)}`);
  assert.ok(r.zswpout > 0 && r.written_back_pages > 0, `zswap and writeback: ${JSON.stringify(r)}`);
  assert.ok(r.compressed_bytes * 2 < r.Zswapped, `the pages compressed: ${JSON.stringify(r)}`);
  assert.equal(r.zswpin + r.pswpin, r.pages, `every page swapped in: ${JSON.stringify(r)}`);
}

describe("the packed package, installed into an empty project", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-ts-package-"));
  const app = path.join(tmp, "app");
  let tarball = "";
  let packed: string[] = [];

  before(() => {
    const out = run("npm", ["pack", "--json", "--pack-destination", tmp], REPO, {
      timeoutMs: INSTALL_MS,
    });
    const [pack] = JSON.parse(out.slice(out.indexOf("["))) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = path.join(tmp, pack!.filename);
    packed = pack!.files.map((f) => f.path);
    appInstall(app, tarball);
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("holds the build, the command and the licence, and no tests, benches or config", () => {
    const top = ["package.json", "README.md", "LICENSE", ...manifest.files];
    const strays = packed.filter((p) => !top.some((f) => p === f || p.startsWith(`${f}/`)));
    assert.deepEqual(strays, [], "files outside package.json's `files`");
    const prebuilt = /^native\/prebuilds\/linux-x64\/zswap_codecs\..*node$/;
    assert.ok(
      packed.some((p) => prebuilt.test(p)),
      "the codec addon, prebuilt for linux-x64",
    );
    assert.ok(!packed.some((p) => p.startsWith("native/build/")), "no local build of it");
    assert.ok(packed.includes("THIRD_PARTY_NOTICES.md"), "the codecs' licences");
    // zswap kernel compiles its helper from the C source at run time.
    const wanted = ["LICENSE", "README.md", "CHANGELOG.md", "dist/index.js", "dist/index.d.ts"];
    for (const p of [...wanted, "dist/kernel/helper.c"])
      assert.ok(packed.includes(p), `${p} is packed`);
    const sources = packed.filter(
      (p) => /^(test|bench|src)\/|\.ts$/.test(p) && !p.endsWith(".d.ts"),
    );
    assert.deepEqual(sources, [], "sources, tests or benches packed");
  });

  it("passes publint and arethetypeswrong", () => {
    run("npx", ["publint", "run", "--strict", tarball], REPO);
    // ESM only: every Node that `engines` allows loads it from require() (the CommonJS test).
    run("npx", ["attw", tarball, "--ignore-rules", "cjs-resolves-to-esm"], REPO);
  });

  it("(a) plain Node imports it and swaps generated pages out and in, byte for byte", () => {
    roundTripCheck(app);
  });

  it("(b) CommonJS require() loads it (Node 20.19+, 22.12+) or fails with ERR_REQUIRE_ESM", () => {
    const out = run("node", ["require.cjs"], app);
    if (process.features.require_module) assert.equal(out, "required: a page stored and loaded\n");
    else assert.match(out, /^ERR_REQUIRE_ESM: /);
  });

  it("(c) a strict TypeScript project (module nodenext) type-checks against its declarations", () => {
    const tsc = path.join(REPO, "node_modules/typescript/bin/tsc");
    run("node", [tsc, "-p", "."], app);
  });

  it("(d) `zswap --help` and a short `zswap run --html` work through npx", () => {
    assert.match(run("npx", ["--no", "--", "zswap", "--help"], app), /^usage: zswap <command>/);
    const html = path.join(tmp, "report.html");
    const args = [
      "run",
      "--accesses",
      "2000",
      "--working-set",
      "256p",
      "--pages-from",
      "generated",
    ];
    const out = run("npx", ["--no", "--", "zswap", ...args, "--html", html], app);
    const verified = out.match(/: every swap-in verified \(\d+\)$/gm) ?? [];
    assert.equal(verified.length, CONFIG_NAMES.length, out); // every default configuration
    // uPlot's files, found from dist/ in the installed package, are inlined in the report.
    const report = fs.readFileSync(html, "utf8");
    assert.match(report, /var uPlot=function/);
    assert.match(report, /<style>\.uplot, /);
  });

  for (const scripts of ["all run", "none run"] as const) {
    it(`installs with no compiler (CC=false CXX=false), install scripts ${scripts === "all run" ? "run" : "skipped"}, and swaps with every codec`, () => {
      const bare = path.join(tmp, `no-compiler-${scripts.replace(" ", "-")}`);
      appInstall(bare, tarball, { CC: "false", CXX: "false" }, scripts);
      assert.ok(
        !fs.existsSync(path.join(bare, "node_modules/zswap-ts/native/build")),
        "nothing compiled",
      );
      assert.match(run("node", ["codecs.mjs"], bare), /^ok: lz4, lz4hc and zstd/);
      roundTripCheck(bare);
    });
  }
});
