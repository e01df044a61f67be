// `npm install` of zswap-ts (or `npm ci` in a checkout): makes sure the codec addon loads.
//
// 1. A binary that loads already (the prebuilt one the package ships for this platform, or an
//    earlier build): nothing to do, no compiler needed.
// 2. Otherwise it is compiled with node-gyp, linked statically against lz4 and zstd from the
//    system's development packages (Debian and Ubuntu: liblz4-dev, libzstd-dev). In a checkout
//    (not under node_modules), run as root on a system with apt-get, missing packages are
//    installed first, as `npm test` does for the tests' own; anywhere else a missing library
//    stops the install with the command that installs it.

import { execFileSync, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const DIR = path.dirname(fileURLToPath(import.meta.url));
const PACKAGES = ["liblz4-dev", "libzstd-dev"];

function loads() {
  try {
    createRequire(import.meta.url)("node-gyp-build")(DIR);
    return true;
  } catch {
    return false;
  }
}

/** Whether the C compiler finds the headers and the static archives the addon links. */
function librariesFound() {
  const cc = process.env.CC || "cc";
  try {
    execFileSync(cc, ["-x", "c", "-E", "-o", "/dev/null", "-"], {
      input: "#include <lz4.h>\n#include <lz4hc.h>\n#include <zstd.h>\n",
      stdio: ["pipe", "ignore", "ignore"],
    });
    // gcc and clang print the archive's full path when they find it, its bare name otherwise.
    return ["liblz4.a", "libzstd.a"].every((a) =>
      path.isAbsolute(execFileSync(cc, [`-print-file-name=${a}`], { encoding: "utf8" }).trim()),
    );
  } catch {
    return false;
  }
}

function librariesInstall() {
  const checkout = !DIR.split(path.sep).includes("node_modules");
  const apt = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
  if (!checkout || process.getuid?.() !== 0 || !apt) {
    console.error(
      `zswap-ts: no prebuilt codec binary for ${process.platform}-${process.arch}, and building ` +
        `one needs a C compiler with the lz4 and zstd development files (Debian and Ubuntu: ` +
        `apt-get install ${PACKAGES.join(" ")})`,
    );
    process.exit(1);
  }
  console.error(`zswap-ts: installing ${PACKAGES.join(" ")} to build the codec addon`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", ...PACKAGES],
  ]) {
    if (spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env }).status !== 0) {
      process.exit(1);
    }
  }
}

if (!loads()) {
  if (!librariesFound()) librariesInstall();
  // npm runs this script with its own node-gyp named in npm_config_node_gyp.
  const gyp = process.env.npm_config_node_gyp;
  const [cmd, args] = gyp ? [process.execPath, [gyp, "rebuild"]] : ["node-gyp", ["rebuild"]];
  process.exitCode = spawnSync(cmd, args, { cwd: DIR, stdio: "inherit" }).status ?? 1;
}
