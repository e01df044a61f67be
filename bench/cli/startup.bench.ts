// cli/: how long `zswap --help` takes, as whole processes: the command as shipped (bin/zswap.js,
// compiled JavaScript in dist/) against the sources through tsx's loader (the command before the
// build), with tsx's compile cache warm and off, and Node starting with nothing to run. Each
// round runs every command once, so all of them see the same machine.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Context } from "../lib/context.ts";
import { heading, note, num, ratio, table, verdict } from "../lib/report.ts";
import { median } from "../lib/timing.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** `zswap --help` should be up and done in about this many ms. */
const STARTUP_TARGET_MS = 300;
/** Rounds timed (one more, first, is not recorded). */
const ROUNDS_FULL = 20;
const ROUNDS_SMOKE = 2;

interface Command {
  label: string;
  args: readonly string[];
  env?: Record<string, string>;
}

const TSX_HELP = ["--import", "tsx", "src/cli/main.ts", "--help"];
const NODE_ONLY: Command = { label: "`node -e 0` (Node alone)", args: ["-e", "0"] };
const COMPILED: Command = {
  label: "`zswap --help` (bin/zswap.js: dist/)",
  args: ["bin/zswap.js", "--help"],
};
const TSX_WARM: Command = { label: "`node --import tsx src/cli/main.ts --help`", args: TSX_HELP };
const TSX_COLD: Command = {
  label: "the same, tsx's cache off (TSX_DISABLE_CACHE=1)",
  args: TSX_HELP,
  env: { TSX_DISABLE_CACHE: "1" },
};

/** Wall time of one run of the command in ms, from spawn to exit. */
function runMs(c: Command): number {
  // NODE_OPTIONS would load tsx (or anything else) into the compiled command too.
  const { NODE_OPTIONS: _, ...env } = process.env;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, c.args, {
    cwd: REPO,
    env: { ...env, ...c.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export function startupBench(ctx: Context): void {
  heading("cli/: `zswap --help` start-up");
  if (!fs.existsSync(path.join(REPO, "dist/cli/main.js"))) {
    throw new Error("dist/ is missing: `npm run build` first (npm ci runs it)");
  }
  const commands = [NODE_ONLY, COMPILED, TSX_WARM, TSX_COLD];
  const rounds = ctx.options.smoke ? ROUNDS_SMOKE : ROUNDS_FULL;
  const times: number[][] = commands.map(() => []);
  const load = os.loadavg()[0]!.toFixed(1);
  for (let r = -1; r < rounds; r++) {
    commands.forEach((c, i) => {
      const ms = runMs(c);
      if (r >= 0) times[i]!.push(ms);
    });
  }
  const compiled = median(times[1]!);
  table(
    ["command", "median ms", "min ms", "max ms", "× the compiled command"],
    commands.map((c, i) => [
      c.label,
      num(median(times[i]!)),
      num(Math.min(...times[i]!)),
      num(Math.max(...times[i]!)),
      ratio(median(times[i]!) / compiled),
    ]),
  );
  note(
    `Method: ${rounds} rounds after one unrecorded, each running the four commands once in this ` +
      "order from the repository root with this Node, wall time from spawn to exit " +
      "(child_process.spawnSync), stdout and stderr piped. The compiled command runs what " +
      `\`npm run build\` left in dist/. Load average when it started: ${load}.`,
  );
  const tsxRatio = median(times[2]!) / compiled;
  const target = verdict(compiled, STARTUP_TARGET_MS, "ceiling");
  note(`Target: \`zswap --help\` in about ${STARTUP_TARGET_MS} ms: ${target}.`);
  ctx.headlines.push(
    `\`zswap --help\`: ${num(compiled)} ms (median), ${ratio(tsxRatio)}× faster than through ` +
      `tsx with a warm cache, ${ratio(median(times[3]!) / compiled)}× with it off ` +
      `(target about ${STARTUP_TARGET_MS} ms: ${target})`,
  );
}
