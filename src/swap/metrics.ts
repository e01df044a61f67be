// Prometheus metrics of swap spaces: their exposition, and a server of it at /metrics.
//
// Labels: one space alone has none. Named spaces ({ name: space }) carry `space="name"` on their
// own statistics; zswap's are those of a Zswap, which several spaces may share, so each Zswap's
// appear once, labelled with the names of the spaces sharing it joined by "+" (`space="a+b"`):
// a sum over `space` counts everything once. A Zswap with groups adds each group's statistics
// (memory.stat's names) under the prefix `zswap_group_`, labelled `group` (and `space` as its
// own are): a group's `zswapped` would share a metric name with the whole's `Zswapped` otherwise.

import { optionBad } from "../errors.ts";
import { type HttpServer, type HttpServerOptions, httpServe, httpText } from "../http-server.ts";
import {
  METRICS_CONTENT_TYPE,
  type MthpCounterName,
  type MthpStats,
  mthpPrometheus,
  type StatsRecord,
  type StatsSample,
  statsPrometheus,
  ZSWAP_COUNTERS,
  ZSWAP_GAUGES,
} from "../stats/index.ts";
import type { Zswap } from "../zswap/index.ts";
import { SwapSpace } from "./swap-space.ts";

/** One space, or spaces by name (the `space` label). */
export type MetricsSpaces = SwapSpace | Readonly<Record<string, SwapSpace>>;

/** Throws ZSWAP_E_OPTION unless `spaces` is a SwapSpace, or an object of SwapSpaces by name. */
function spacesCheck(spaces: unknown): asserts spaces is MetricsSpaces {
  if (spaces instanceof SwapSpace) return;
  if (
    typeof spaces !== "object" ||
    spaces === null ||
    !Object.values(spaces).every((space) => space instanceof SwapSpace)
  ) {
    optionBad("spaces must be a SwapSpace, or an object of SwapSpaces by name");
  }
}

const isZswapStat = (name: string) =>
  Object.hasOwn(ZSWAP_COUNTERS, name) || Object.hasOwn(ZSWAP_GAUGES, name);

function swapOnly(stats: StatsRecord): StatsRecord {
  return Object.fromEntries(Object.entries(stats).filter(([name]) => !isZswapStat(name)));
}

/** The Zswaps of the spaces, each with the names of the spaces sharing it ("" for one space). */
function zswapsOf(spaces: MetricsSpaces): Map<Zswap, string[]> {
  const sharers = new Map<Zswap, string[]>();
  if (spaces instanceof SwapSpace) {
    if (spaces.zswap !== undefined) sharers.set(spaces.zswap, []);
    return sharers;
  }
  for (const [name, space] of Object.entries(spaces)) {
    if (space.zswap !== undefined)
      sharers.set(space.zswap, [...(sharers.get(space.zswap) ?? []), name]);
  }
  return sharers;
}

/** Each group's statistics of every Zswap that has groups besides the root. */
function groupSamples(spaces: MetricsSpaces): StatsSample[] {
  return [...zswapsOf(spaces)].flatMap(([zswap, names]) => {
    if (zswap.groupNames.length === 1) return [];
    const space: Record<string, string> = names.length === 0 ? {} : { space: names.join("+") };
    return zswap.groupNames.map((group) => ({
      labels: { ...space, group },
      stats: zswap.groupStats(group),
    }));
  });
}

/** The spaces' statistics as labelled samples (see the top of this file). */
export function metricsSamples(spaces: MetricsSpaces): StatsSample[] {
  spacesCheck(spaces);
  if (spaces instanceof SwapSpace) return [{ labels: {}, stats: spaces.stats() }];
  const named = Object.entries(spaces);
  return [
    ...[...zswapsOf(spaces)].map(([zswap, names]) => ({
      labels: { space: names.join("+") },
      stats: zswap.stats(),
    })),
    ...named.map(([name, space]) => ({ labels: { space: name }, stats: swapOnly(space.stats()) })),
  ];
}

/**
 * The per folio size counters (mTHP's), labelled as the statistics are: zswap's zswpout once per
 * Zswap, each space's swpout and swpout_fallback.
 */
function mthpText(spaces: MetricsSpaces, prefix: string): string {
  if (spaces instanceof SwapSpace)
    return mthpPrometheus([{ labels: {}, stats: spaces.folioStats() }], prefix);
  const pick = (stats: MthpStats, names: readonly MthpCounterName[]): MthpStats =>
    Object.fromEntries(
      Object.entries(stats).map(([size, c]) => [
        size,
        Object.fromEntries(names.map((n) => [n, c[n]])),
      ]),
    ) as MthpStats;
  return mthpPrometheus(
    [
      ...[...zswapsOf(spaces)].map(([zswap, names]) => ({
        labels: { space: names.join("+") },
        stats: pick(zswap.folioStats(), ["zswpout"]),
      })),
      ...Object.entries(spaces).map(([name, space]) => ({
        labels: { space: name },
        stats: pick(space.folioStats(), ["swpout", "swpout_fallback"]),
      })),
    ],
    prefix,
  );
}

/** The Prometheus text exposition of the spaces' statistics, read now. */
export function metricsText(spaces: MetricsSpaces, prefix = "zswap_"): string {
  spacesCheck(spaces);
  const groups = groupSamples(spaces);
  const text = statsPrometheus(metricsSamples(spaces), prefix) + mthpText(spaces, prefix);
  return groups.length === 0 ? text : text + statsPrometheus(groups, `${prefix}group_`);
}

/**
 * Serves the spaces' metrics at /metrics over HTTP (node:http, on 127.0.0.1 unless `host` says
 * otherwise; port 0, the default, picks a free one). Each scrape reads the statistics then.
 * Close the server before the spaces.
 */
export async function metricsServe(
  spaces: MetricsSpaces,
  options: HttpServerOptions = {},
): Promise<HttpServer> {
  spacesCheck(spaces);
  return httpServe(
    { "/metrics": (_req, res) => httpText(res, 200, metricsText(spaces), METRICS_CONTENT_TYPE) },
    options,
  );
}
