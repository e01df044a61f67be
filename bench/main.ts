// `npm run bench`: every benchmark section, in the order of the layers, on one corpus, with
// the method, the machine and each figure's baseline from the same run printed beside it.
//
//   npm run bench                      the full suite (a few minutes on 2 cores)
//   npm run bench -- --scale           ... and 4 GiB of pages through a 1 GiB pool
//   npm run bench -- --only policy     writeback policies on workloads and traces of real
//                                      programs recorded under valgrind (several minutes)
//   npm run bench -- --only zswap,pool a subset
//   npm run bench -- --only tools      zram's tools: recompression, idle writeback
//   npm run bench -- --only threads    swaps on codec threads against the codec on one thread
//   npm run bench -- --pages-from F    a user's corpus: 4096-byte pages back to back
//   npm run bench -- --codecs lz4,lzo  only these codecs in compress/ and zswap/
//   npm run bench:smoke                tiny sizes, every section, for CI (no timing checks)

import os from "node:os";
import { parseArgs } from "node:util";
import {
  COMPRESSOR_DEFAULT,
  compressorCreate,
  compressorsAvailable,
} from "../src/compress/index.ts";
import { startupBench } from "./cli/startup.bench.ts";
import { compressBench } from "./compress/compress.bench.ts";
import { redisBench } from "./device/redis.bench.ts";
import {
  type BenchOptions,
  type Context,
  FULL,
  SECTIONS,
  type Section,
  SMOKE,
} from "./lib/context.ts";
import { corpusBuild } from "./lib/corpus.ts";
import { machineDescribe, machineLine } from "./lib/machine.ts";
import { heading, line, note } from "./lib/report.ts";
import { gcFull } from "./lib/timing.ts";
import { poolBench } from "./pool/pool.bench.ts";
import { scaleBench } from "./swap/scale.bench.ts";
import { threadsBench } from "./swap/threads.bench.ts";
import { toolboxBench } from "./swap/toolbox.bench.ts";
import { writebackBench } from "./swap/writeback.bench.ts";
import { policyBench } from "./workload/policy.bench.ts";
import { memoryBench } from "./zswap/memory.bench.ts";
import { toolsBench } from "./zswap/tools.bench.ts";
import { zswapBench } from "./zswap/zswap.bench.ts";

const USAGE = `usage: npm run bench -- [--smoke] [--scale] [--only ${SECTIONS.join(",")}]
                        [--codecs lzo,lz4,...] [--pages N] [--pages-from FILE] [--seed N]

  --smoke            tiny sizes, every section (the scale run too, scaled down): for CI
  --scale            add the scale run: 4 GiB of pages through a 1 GiB pool (a few minutes)
  --policy           add the policy run: lru and dip against no writeback and Belady's MIN on
                     synthetic workloads and valgrind traces of real programs (several minutes)
  --only LIST        run only these sections
  --codecs LIST      only these codecs in compress/ and zswap/ (default: all but the
                     opt-in lzo, which runs when named)
  --pages N          corpus size: N/2 pages captured from this process, N/2 generated
                     (default ${FULL.corpusPages}); with --pages-from, the most pages read
  --pages-from FILE  a user's corpus instead: 4096-byte pages back to back
  --seed N           seeds the generated pages and every random choice (default 1)`;

function optionsParse(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: "boolean", default: false },
      scale: { type: "boolean", default: false },
      policy: { type: "boolean", default: false },
      only: { type: "string" },
      pages: { type: "string" },
      "pages-from": { type: "string" },
      codecs: { type: "string" },
      seed: { type: "string", default: "1" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = new Set<Section>();
  for (const s of (values.only ?? SECTIONS.join(",")).split(",")) {
    if (!(SECTIONS as readonly string[]).includes(s))
      throw new Error(`unknown section "${s}"\n${USAGE}`);
    only.add(s as Section);
  }
  const smoke = values.smoke;
  const pages =
    values.pages === undefined ? (smoke ? SMOKE : FULL).corpusPages : Number(values.pages);
  if (!Number.isInteger(pages) || pages < 2) throw new Error(`--pages must be an integer >= 2`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error("--seed must be an integer");
  // The scale section runs when asked for, by --scale or by naming it; smoke runs it small.
  const scale = values.scale || smoke || values.only?.split(",").includes("scale") === true;
  if (!scale) only.delete("scale");
  const policy = values.policy || smoke || values.only?.split(",").includes("policy") === true;
  if (!policy) only.delete("policy");
  const codecs = values.codecs?.split(",");
  // Naming a codec is how an opt-in one (lzo) is asked for; an unavailable one says why.
  for (const c of codecs ?? []) compressorCreate(c);
  return { smoke, scale, policy, pages, pagesFrom: values["pages-from"], only, seed, codecs };
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = optionsParse(process.argv.slice(2));
  const sizes = options.smoke ? SMOKE : FULL;
  // The corpus first: the capture reads this process's memory, best before anything else is in it.
  const corpus = corpusBuild(options.pages, options.seed, options.pagesFrom);
  if (corpus.pages.length === 0) throw new Error("the corpus holds no non-zero page");
  const machine = await machineDescribe();
  const ctx: Context = {
    options,
    sizes,
    machine,
    corpus,
    codecs: options.codecs ?? compressorsAvailable(),
    defaultCodec: COMPRESSOR_DEFAULT,
    headlines: [],
  };

  heading(
    `zswap-ts benchmarks${options.smoke ? " (smoke: tiny sizes, figures meaningless)" : ""}`,
    1,
  );
  line(`- date: ${new Date().toISOString()}`);
  line(
    `- command: npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  );
  line(`- machine: ${machineLine(machine)}`);
  line(
    `- load average (1, 5, 15 min) when the run started: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(", ")} (ratios compare interleaved passes, so load slows both sides of each)`,
  );
  line(
    `- node flags: ${process.execArgv.join(" ") || "(none)"}; gc() ${gcFull() ? "exposed" : "not exposed"}`,
  );
  line(`- codecs: ${ctx.codecs.join(", ")}; zswap's default: ${ctx.defaultCodec}`);
  line(`- corpus: ${corpus.describe}`);
  line(`- sections: ${[...options.only].join(", ")}`);
  line();
  note(
    "Every ratio is against a baseline measured in this same run, on the same pages: memcpy " +
      "for the codecs, the raw codec for zswap, a one-page-per-zspage allocator for the pool, " +
      "disk only and an exact LRU for writeback, the page-cached file for the devices.",
  );

  const run: Record<Section, () => Promise<void> | void> = {
    compress: () => compressBench(ctx),
    zswap: () => zswapBench(ctx),
    memory: () => memoryBench(ctx),
    tools: () => toolsBench(ctx),
    pool: () => poolBench(ctx),
    device: () => redisBench(ctx),
    writeback: () => writebackBench(ctx),
    threads: () => threadsBench(ctx),
    scale: () => scaleBench(ctx),
    policy: () => policyBench(ctx),
    toolbox: () => toolboxBench(ctx),
    cli: () => startupBench(ctx),
  };
  for (const section of SECTIONS) {
    if (!options.only.has(section)) continue;
    const t0 = performance.now();
    await run[section]();
    note(`(${section}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    gcFull();
  }

  heading("Headline");
  for (const h of ctx.headlines) line(`- ${h}`);
  line();
  line(`Run time: ${((performance.now() - started) / 1000).toFixed(1)} s.`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
