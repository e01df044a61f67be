// policy: the writeback policies against no writeback and Belady's MIN, on the synthetic
// workloads and on page traces of real programs recorded under valgrind's lackey (traces.ts),
// each configuration run as `zswap run --device memory` runs it: simulated device, virtual time,
// so a seed fixes the hit ratios and device writes; accesses/s is this machine's CPU on that
// simulation. Then the disk baseline over a real swap file, where swap-outs write behind.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { planMake, type RunRequest } from "../../src/workload/plan.ts";
import { CONFIGS, type ConfigName, type ConfigResult, runConfig } from "../../src/workload/run.ts";
import type { Context } from "../lib/context.ts";
import { heading, note, percent, rate, table } from "../lib/report.ts";
import { tracesRecord } from "./traces.ts";

const COMPARED: ConfigName[] = ["zswap", "writeback", "writeback-adaptive"];
const SHORT: Partial<Record<ConfigName, string>> = {
  zswap: "no writeback",
  writeback: "lru",
  "writeback-adaptive": "dip",
};

/** Done's margins: dip's hit ratio at least the better one's less this, writes at most 2% over. */
const HIT_MARGIN = 0.02;
const WRITES_MARGIN = 0.02;

export function request(workload: RunRequest["workload"], seed: number): RunRequest {
  return {
    workload,
    pagesFrom: { kind: "generated" },
    resident: { percent: 12.5 },
    pool: undefined,
    compressor: "lz4",
    configs: COMPARED,
    policy: "clock",
    seed,
    durationMs: undefined,
    deviceLatency: undefined,
    device: "memory",
    swapfile: undefined,
    pageCache: false,
    runs: 1,
    warmup: 0,
    varySeed: false,
    redis: undefined,
  };
}

/** What `zswap run` command reproduces a row. */
function command(w: RunRequest["workload"]): string {
  const what =
    w.kind === "trace"
      ? `--trace ${path.basename(w.path)}`
      : `--workload ${w.name} --working-set ${w.pages}p --accesses ${w.accesses}`;
  return `zswap run ${what} --pages-from generated --device memory --configs ${COMPARED.join(",")}`;
}

interface Row {
  name: string;
  results: Record<string, ConfigResult>;
}

/** dip against the better of no writeback and LRU: the margins of "Done". */
function verdict(r: Row): string[] {
  const [none, lru, dip] = COMPARED.map((c) => r.results[c]!);
  const bestHit = Math.max(none.zswapHitRatio, lru.zswapHitRatio);
  const fewest = Math.min(none.deviceWrites, lru.deviceWrites);
  const hitOk = dip.zswapHitRatio >= bestHit - HIT_MARGIN;
  const writesOk = dip.deviceWrites <= fewest * (1 + WRITES_MARGIN);
  return [
    r.name,
    (dip.zswapHitRatio - bestHit).toFixed(3),
    percent(dip.deviceWrites / fewest - 1),
    hitOk && writesOk ? "met" : `missed (${hitOk ? "" : "hit ratio "}${writesOk ? "" : "writes"})`,
  ];
}

export async function policyBench(ctx: Context): Promise<void> {
  heading("policy: writeback policies against Belady's MIN");
  const smoke = ctx.options.smoke;
  const pages = smoke ? 256 : 4096;
  const accesses = smoke ? 2000 : 60_000;
  note(
    `Method: each workload replayed through ${COMPARED.map((c) => `\`${c}\``).join(", ")} ` +
      '(no writeback; writeback with `writebackPolicy: "lru"`, the kernel\'s; with `"dip"`) as ' +
      "`zswap run --device memory --pages-from generated` runs them: the resident set holds " +
      "12.5% of the working set, the pool is half the compressed size of the rest, lz4, " +
      `seed ${ctx.options.seed}; every swap-in is verified. Synthetic: ${pages} pages, ${accesses} ` +
      "accesses, 30% writes. Traces: recorded now under valgrind's lackey (bench/workload/traces.ts). " +
      "Belady's MIN: the hit ratio an offline optimal writeback gets on the same swap-outs and " +
      "swap-ins with room for the pool bound over the mean compressed page (src/workload/belady.ts).",
  );
  const workloads: { name: string; workload: RunRequest["workload"] }[] = (
    ["scan", "loop", "zipf", "shift"] as const
  ).map((name) => ({
    name,
    workload: { kind: "pattern", name, pages, accesses, writeRatio: 0.3, zipfSkew: 1 },
  }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-policy-"));
  try {
    if (!smoke) {
      for (const t of await tracesRecord(dir)) {
        note(`- trace \`${t.name}\`: ${t.command}`);
        workloads.push({ name: t.name, workload: { kind: "trace", path: t.path, format: "text" } });
      }
    } else note("(smoke: no traces recorded)");
    const rows: Row[] = [];
    const cells: string[][] = [];
    for (const w of workloads) {
      const { plan, spec } = await planMake(request(w.workload, ctx.options.seed));
      const results: Record<string, ConfigResult> = {};
      for (const c of COMPARED) {
        const r = await runConfig(spec, c);
        results[c] = r;
        cells.push([
          w.name,
          SHORT[c]!,
          r.zswapHitRatio.toFixed(3),
          r.beladyHitRatio === null ? "—" : r.beladyHitRatio.toFixed(3),
          r.ofBelady === null ? "—" : r.ofBelady.toFixed(2),
          String(r.deviceWrites),
          rate(r.accessesPerSecond),
          `${r.verified} of ${r.swapIns}`,
        ]);
      }
      rows.push({ name: w.name, results });
      note(
        `- \`${w.name}\`: ${plan.pages} pages, ${plan.accesses} accesses, ${plan.frames} frames, MIN holds ${plan.beladyPages} pages: \`${command(w.workload)}\``,
      );
    }
    table(
      [
        "workload",
        "policy",
        "hit ratio",
        "MIN",
        "of MIN",
        "device writes",
        "accesses/s",
        "swap-ins verified",
      ],
      cells,
    );
    note(
      `Done's targets for dip: hit ratio at least max(no writeback, lru) − ${HIT_MARGIN}, device ` +
        `writes at most min(no writeback, lru) + ${percent(WRITES_MARGIN, 0)}.`,
    );
    table(["workload", "dip hit − best", "dip writes over fewest", "verdict"], rows.map(verdict));
    ctx.headlines.push(
      `policy: dip meets Done's margins on ${rows.filter((r) => verdict(r)[3] === "met").length} of ${rows.length} workloads (${rows.map((r) => `${r.name} ${verdict(r)[3]}`).join(", ")})`,
    );
    await diskBaseline(ctx, pages, accesses);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Disk alone and dip over a real swap file: swap-outs to it write behind in both. */
async function diskBaseline(ctx: Context, pages: number, accesses: number): Promise<void> {
  const configs: ConfigName[] = ["disk", "writeback-adaptive"];
  const req: RunRequest = {
    ...request(
      { kind: "pattern", name: "shift", pages, accesses, writeRatio: 0.3, zipfSkew: 1 },
      ctx.options.seed,
    ),
    configs,
    device: "file",
  };
  const { plan, spec } = await planMake(req);
  const rows: string[][] = [];
  for (const c of configs) {
    const r = await runConfig(spec, c);
    rows.push([
      CONFIGS[c].label,
      rate(r.accessesPerSecond),
      String(r.counters.pswpout),
      String(r.counters.swpin_cache),
      String(r.deviceReads),
      r.swapInLatencyUs.p50.toFixed(1),
    ]);
  }
  note(
    `The disk baseline, over ${plan.device}: shift, ${pages} pages, ${accesses} accesses. A swap-out ` +
      "to the device copies its page into the swap cache and returns; the write lands behind it " +
      "(at most 64 in flight), and a swap-in meanwhile reads the copy (`swpin_cache`). Each " +
      "configuration's time includes draining the writes still in flight at its end.",
  );
  table(
    ["configuration", "accesses/s", "pswpout", "swpin_cache", "device reads", "swap-in p50 µs"],
    rows,
  );
}
