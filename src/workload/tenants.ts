// Tenants: several programs share one machine's compressed memory (one Zswap), each in its own
// group with its own swap space and resident frames: the noisy-neighbour experiment. Tenant 1
// scans its whole working set over and over (the neighbour: every page it swaps out is cold by
// the time it comes back); the others replay the run's workload, each with its own seed. The
// same accesses run twice: with no group bounds, then with each group bounded to an equal share
// of the pool (memory.zswap.max), and each group's counters are reported for both.

import { type Clock, SimClock } from "../clock.ts";
import { PAGE_SIZE } from "../constants.ts";
import { SwapSpace } from "../swap/index.ts";
import { Zswap, type ZswapGroupStats } from "../zswap/index.ts";
import { type Access, pattern } from "./patterns.ts";
import { ResidentSet } from "./resident.ts";
import { deviceOpen, type RunSpec } from "./run.ts";

/** The two rounds of the experiment. */
export type TenantRound = "no limits" | "limits";

/** One group's row of one round. */
export interface TenantRow {
  round: TenantRound;
  group: string;
  workload: string;
  accesses: number;
  /** Swap-ins of pages that were not zero-filled. */
  swapIns: number;
  /** Swap-ins served by zswap / swapIns. */
  zswapHitRatio: number;
  /** The group's counters and gauges at the end of the round (memory.stat's names). */
  stats: ZswapGroupStats;
  /** Pages read from the device. */
  pswpin: number;
  verified: number;
}

export interface TenantsResult {
  groups: number;
  rows: TenantRow[];
}

/** The noisy neighbour's workload: scans of its whole working set. */
const NEIGHBOUR_PATTERN = "scan";

function accessesOf(spec: RunSpec, tenant: number): Iterable<Access> | AsyncIterable<Access> {
  if (tenant === 0) {
    return pattern(NEIGHBOUR_PATTERN, {
      pages: spec.pages,
      accesses: spec.accessCount,
      seed: spec.seed,
      writeRatio: 0.3,
    });
  }
  return spec.accesses(spec.seed + tenant);
}

interface Tenant {
  group: string;
  space: SwapSpace;
  resident: ResidentSet;
  accesses: AsyncIterator<Access> | Iterator<Access>;
  done: boolean;
  count: number;
}

async function tenantsOpen(
  spec: RunSpec,
  zswap: Zswap,
  groups: number,
  clock: Clock | undefined,
): Promise<Tenant[]> {
  const tenants: Tenant[] = [];
  for (let i = 0; i < groups; i++) {
    const group = `tenant-${i + 1}`;
    const device = await deviceOpen(spec, "writeback", clock);
    const space = await SwapSpace.open({
      slots: spec.pages,
      device,
      zswap,
      type: i,
      group,
    });
    const source = accessesOf(spec, i);
    const accesses =
      Symbol.asyncIterator in source
        ? source[Symbol.asyncIterator]()
        : (source as Iterable<Access>)[Symbol.iterator]();
    const resident = new ResidentSet(space, spec.corpus, spec.frames, spec.policy);
    tenants.push({ group, space, resident, accesses, done: false, count: 0 });
  }
  return tenants;
}

/** One round: every tenant's accesses, one of each in turn, until all are done. */
async function round(spec: RunSpec, groups: number, name: TenantRound): Promise<TenantRow[]> {
  const clock = spec.device === "memory" ? new SimClock() : undefined;
  const zswap = new Zswap(
    { maxPoolBytes: spec.poolBytes, compressor: spec.compressor },
    clock === undefined ? {} : { clock },
  );
  const share = name === "limits" ? Math.floor(spec.poolBytes / groups) : Number.POSITIVE_INFINITY;
  for (let i = 0; i < groups; i++) zswap.groupAdd(`tenant-${i + 1}`, { maxBytes: share });
  const tenants = await tenantsOpen(spec, zswap, groups, clock);
  const settle = <T>(work: Promise<T>) => (clock === undefined ? work : clock.run(work));
  try {
    for (let left = groups; left > 0; ) {
      for (const t of tenants) {
        if (t.done) continue;
        const next = await t.accesses.next();
        if (next.done === true) {
          t.done = true;
          left--;
          continue;
        }
        await settle(t.resident.access(next.value.page, next.value.write));
        t.count++;
      }
    }
    for (const t of tenants) await settle(t.space.flush());
    return tenants.map((t, i) => {
      const st = t.space.stats();
      const g = zswap.groupStats(t.group);
      const swapIns = g.zswpin + st.pswpin + st.swpin_cache;
      return {
        round: name,
        group: t.group,
        workload: i === 0 ? `${NEIGHBOUR_PATTERN} (the neighbour)` : "the run's workload",
        accesses: t.count,
        swapIns,
        zswapHitRatio: swapIns === 0 ? 0 : g.zswpin / swapIns,
        stats: g,
        pswpin: st.pswpin,
        verified: t.resident.verified,
      };
    });
  } finally {
    for (const t of tenants) {
      await settle(t.space.close());
      await t.space.device.close();
    }
    zswap.stop();
  }
}

/**
 * The noisy-neighbour experiment over `groups` tenants: both rounds, the same accesses, each
 * tenant on a device of the run's kind (a swap file of its own, or memory on virtual time).
 */
export async function runTenants(spec: RunSpec, groups: number): Promise<TenantsResult> {
  const rows = [
    ...(await round(spec, groups, "no limits")),
    ...(await round(spec, groups, "limits")),
  ];
  return { groups, rows };
}

/** The rows as a table's cells: round and group, workload, then what each group saw. */
export function tenantCells(rows: readonly TenantRow[]): { head: string[]; cells: string[][] } {
  const head = [
    "round: group",
    "workload",
    "swap-ins",
    "zswap hits",
    "zswpout",
    "zswpwb",
    "group_limit_hit",
    "pswpin",
    "zswap (end)",
  ];
  const cells = rows.map((r) => [
    `${r.round}: ${r.group}`,
    r.workload,
    String(r.swapIns),
    `${(r.zswapHitRatio * 100).toFixed(1)}%`,
    String(r.stats.zswpout),
    String(r.stats.zswpwb),
    String(r.stats.group_limit_hit),
    String(r.pswpin),
    `${Math.round(r.stats.zswap / PAGE_SIZE)}p`,
  ]);
  return { head, cells };
}
