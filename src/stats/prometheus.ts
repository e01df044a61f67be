// Prometheus' text exposition (version 0.0.4) of counters and gauges, as `promtool check metrics`
// wants it: a HELP line from each statistic's documentation (its own name first, the kernel's
// where it has one), counters ending in `_total`, base units in names (`_bytes`, `_pages`),
// snake_case, and one family per metric whatever the number of labelled samples.

import { ZswapOptionError } from "../errors.ts";
import { type CounterName, MTHP_COUNTERS, SWAP_COUNTERS, ZSWAP_COUNTERS } from "./counters.ts";
import { type GaugeName, GROUP_GAUGES, SWAP_GAUGES, ZSWAP_GAUGES } from "./gauges.ts";
import type { MthpStats } from "./mthp.ts";
import { type StatsRecord, statsRecordCheck } from "./views.ts";

export type StatName = CounterName | GaugeName;

/** Prometheus' content type for the text exposition (version 0.0.4). */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4";

/** Each statistic's unit, the suffix of its metric's name; events and counts of things have none. */
const STAT_UNITS: Readonly<Record<StatName, "bytes" | "pages" | "">> = {
  pool_limit_hit: "",
  group_limit_hit: "",
  reject_reclaim_fail: "",
  reject_alloc_fail: "",
  reject_compress_fail: "",
  reject_compress_poor: "",
  decompress_fail: "",
  written_back_pages: "pages",
  duplicate_entry: "",
  saved_by_writeback: "",
  writeback_fail: "",
  zswpin: "pages",
  zswpout: "pages",
  zswpwb: "pages",
  bd_reads: "pages",
  bd_writes: "pages",
  bd_write_bytes: "bytes",
  bd_packed_writes: "pages",
  recomp_pages: "pages",
  recomp_saved_bytes: "bytes",
  recomp_incompressible: "pages",
  pswpin: "pages",
  pswpout: "pages",
  swpin_zero: "pages",
  swpout_zero: "pages",
  swpin_same: "pages",
  swpout_same: "pages",
  dedup_pages_saved: "pages",
  dedup_reads: "pages",
  dedup_bytes_saved: "bytes",
  swpin_cache: "pages",
  swpout_fail: "pages",
  swap_codec_writeback_reads: "pages",
  pool_total_size: "bytes",
  pool_limit_bytes: "bytes",
  stored_pages: "pages",
  stored_incompressible_pages: "pages",
  Zswapped: "bytes",
  compressed_bytes: "bytes",
  metadata_bytes: "bytes",
  outstanding_writebacks: "",
  writeback_waiters: "",
  bd_count: "pages",
  bd_packed_pages: "pages",
  bd_packed_blocks: "",
  writeback_limit: "pages",
  swap_slots: "",
  swap_slots_used: "",
  swap_zero_pages: "pages",
  same_pages: "pages",
  dedup_pages: "pages",
  dedup_held_slots: "",
  swap_io_in_flight: "",
  swap_cache_pages: "pages",
  zswap: "bytes",
  zswapped: "bytes",
  zswap_incomp: "pages",
  zswap_max: "bytes",
  zswap_writeback: "",
  swap_codec_threads: "",
  swap_codec_jobs: "pages",
};

interface Family {
  type: "counter" | "gauge";
  help: string;
}

/**
 * Every statistic in exposition order: zswap's, then the swap layer's, then a group's gauges;
 * counters before gauges. A group's `zswapped` and the whole's `Zswapped` share a metric name:
 * expose groups under their own prefix (groupsPrometheus does).
 */
const FAMILIES: ReadonlyMap<string, Family> = new Map(
  [
    [ZSWAP_COUNTERS, "counter"],
    [ZSWAP_GAUGES, "gauge"],
    [SWAP_COUNTERS, "counter"],
    [SWAP_GAUGES, "gauge"],
    [GROUP_GAUGES, "gauge"],
  ].flatMap(([docs, type]) =>
    Object.entries(docs).map(([name, doc]) => [name, { type, help: `${name}: ${doc}` } as Family]),
  ),
);

/** The metric's name: `prefix`, the statistic's name in lower case, its unit, `_total` on counters. */
export function metricName(stat: StatName, prefix = "zswap_"): string {
  if (!FAMILIES.has(stat)) throw new ZswapOptionError(`no statistic is named ${stat}`);
  const unit = STAT_UNITS[stat];
  const base = stat.toLowerCase();
  const named = unit === "" || base.endsWith(`_${unit}`) ? base : `${base}_${unit}`;
  return `${prefix}${named}${FAMILIES.get(stat)?.type === "counter" ? "_total" : ""}`;
}

/** Statistics with labels, as one sample of each metric in the exposition. */
export interface StatsSample {
  /** Label names are snake_case identifiers; values any text (escaped here). */
  labels: Readonly<Record<string, string>>;
  stats: StatsRecord;
}

const LABEL_NAME = /^[a-z_][a-z0-9_]*$/;
const PREFIX = /^[a-z_][a-z0-9_]*$/;

const escapeHelp = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const escapeLabel = (s: string) =>
  s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labelsText(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([name, value]) => {
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      throw new ZswapOptionError(`label name ${JSON.stringify(name)} is not a snake_case name`);
    }
    return `${name}="${escapeLabel(value)}"`;
  });
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

function valueText(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  return String(v);
}

/** Each metric of `families` once with its HELP and TYPE, then its samples among `rows`. */
function exposition(
  families: ReadonlyMap<string, Family>,
  rows: readonly { labels: string; stats: StatsRecord }[],
  metricOf: (name: string) => string,
): string {
  const lines: string[] = [];
  for (const [name, family] of families) {
    const present = rows.filter((r) => Object.hasOwn(r.stats, name));
    if (present.length === 0) continue;
    const metric = metricOf(name);
    lines.push(`# HELP ${metric} ${escapeHelp(family.help)}`, `# TYPE ${metric} ${family.type}`);
    for (const r of present) lines.push(`${metric}${r.labels} ${valueText(r.stats[name])}`);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

function prefixCheck(prefix: string): void {
  if (!PREFIX.test(prefix)) {
    throw new ZswapOptionError(`metric prefix ${JSON.stringify(prefix)} is not a snake_case name`);
  }
}

/**
 * The Prometheus text exposition of one record of statistics, or of labelled samples (one per
 * swap space, say): each metric once with its HELP and TYPE, then its samples. A name that is
 * not one of zswap-ts' statistics is refused (ZSWAP_E_OPTION), as are a bad prefix or label name.
 */
export function statsPrometheus(
  stats: StatsRecord | readonly StatsSample[],
  prefix = "zswap_",
): string {
  prefixCheck(prefix);
  const samples: readonly StatsSample[] = Array.isArray(stats)
    ? stats
    : [{ labels: {}, stats: stats as StatsRecord }];
  const rows = samples.map((s) => {
    statsRecordCheck(s.stats);
    for (const name of Object.keys(s.stats)) {
      if (!FAMILIES.has(name)) throw new ZswapOptionError(`no statistic is named ${name}`);
    }
    return { labels: labelsText(s.labels), stats: s.stats };
  });
  return exposition(FAMILIES, rows, (name) => metricName(name as StatName, prefix));
}

const MTHP_FAMILIES: ReadonlyMap<string, Family> = new Map(
  Object.entries(MTHP_COUNTERS).map(([name, doc]) => [
    name,
    { type: "counter", help: `hugepages-<size>kB/stats/${name}: ${doc}` },
  ]),
);

/**
 * Per folio size counters (SwapSpace.folioStats, Zswap.folioStats), each sample's own labels
 * and `size` ("64kB"), as Prometheus counters `<prefix>mthp_<name>_total`: folios, not pages.
 */
export function mthpPrometheus(
  samples: readonly { labels: Readonly<Record<string, string>>; stats: MthpStats }[],
  prefix = "zswap_",
): string {
  prefixCheck(prefix);
  if (!Array.isArray(samples as unknown)) throw new ZswapOptionError("samples must be an array");
  const rows = samples.flatMap((s) =>
    Object.entries(s.stats).map(([size, counts]) => ({
      labels: labelsText({ ...s.labels, size }),
      stats: counts,
    })),
  );
  return exposition(MTHP_FAMILIES, rows, (name) => `${prefix}mthp_${name}_total`);
}
