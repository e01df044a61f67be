// device: the swap devices on their own, no zswap in front. Swap-out and swap-in pages/s at a
// fixed queue depth and swap-in latency one read at a time (a page fault waits for one page),
// over a loopback Redis server and a three-master Redis Cluster against the file device, all in
// this run on the same pages; then pages/s by pipeline batch (one batch of B commands in flight,
// awaited, then the next), against a batch of one.
//
// The servers are started here on loopback (redis-server, no persistence) and stopped after;
// without redis-server installed the Redis rows are skipped, and the report says so.

import { loadavg, tmpdir } from "node:os";
import { PAGE_SIZE } from "../../src/constants.ts";
import { FileDevice, RedisDevice, type SwapDevice } from "../../src/device/index.ts";
import { Random } from "../../src/random.ts";
import type { SwapOffset } from "../../src/types.ts";
import { RedisCluster, RedisServer, redisInstalled } from "../../test/redis-server.ts";
import type { Context } from "../lib/context.ts";
import { type Cell, heading, note, num, rate, ratio, table } from "../lib/report.ts";
import { median, percentile } from "../lib/timing.ts";

/** Reads and writes in flight at once in the throughput runs (zswap's writeback default). */
const QUEUE_DEPTH = 64;
/** Reads one device does before the next takes its turn, in the latency run. */
const LATENCY_BLOCK = 100;
/** Pipeline batches compared: commands sent together before waiting for their replies. */
const BATCHES = [1, 16, 64] as const;

interface DeviceKind {
  label: string;
  open: (slots: number) => Promise<SwapDevice>;
}

interface DeviceFigures {
  label: string;
  outPerSecond: number;
  inPerSecond: number;
  inUsP50: number;
  inUsP99: number;
}

const slotOf = (n: number) => n as SwapOffset;

/** Runs op(0..count-1) with at most `depth` in flight; resolves to the seconds it took. */
async function depthRun(
  count: number,
  depth: number,
  op: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(depth, count) }, worker));
  return (performance.now() - t0) / 1000;
}

/** Runs op(0..count-1) in batches of `batch`, each awaited whole; resolves to the seconds. */
async function batchRun(
  count: number,
  batch: number,
  op: (i: number) => Promise<void>,
): Promise<number> {
  const t0 = performance.now();
  for (let first = 0; first < count; first += batch) {
    const ops: Promise<void>[] = [];
    for (let i = first; i < Math.min(count, first + batch); i++) ops.push(op(i));
    await Promise.all(ops);
  }
  return (performance.now() - t0) / 1000;
}

/** Opens one device of each kind, runs `body` on them, and closes them all. */
async function devicesWith<T>(
  kinds: readonly DeviceKind[],
  slots: number,
  body: (devices: SwapDevice[]) => Promise<T>,
): Promise<T> {
  const devices: SwapDevice[] = [];
  try {
    for (const kind of kinds) devices.push(await kind.open(slots));
    return await body(devices);
  } finally {
    for (const device of devices) await device.close();
  }
}

/**
 * Throughput at QUEUE_DEPTH and one-at-a-time latency of each device. The devices take turns
 * (pass by pass, and latency in blocks of LATENCY_BLOCK reads), so a load that comes and goes
 * on a shared machine falls on all of them alike.
 */
async function deviceMeasure(ctx: Context, kinds: readonly DeviceKind[]): Promise<DeviceFigures[]> {
  const { devicePages, deviceLatencySamples } = ctx.sizes;
  const pages = ctx.corpus.pages;
  const intos = Array.from({ length: QUEUE_DEPTH }, () => new Uint8Array(PAGE_SIZE));
  return devicesWith(kinds, devicePages, async (devices) => {
    const outSeconds = devices.map((): number[] => []);
    const inSeconds = devices.map((): number[] => []);
    for (let pass = 0; pass < ctx.sizes.plan.passesMin; pass++) {
      for (const [d, device] of devices.entries()) {
        const write = (i: number) => device.write(slotOf(i), pages[(i + pass) % pages.length]);
        outSeconds[d].push(await depthRun(devicePages, QUEUE_DEPTH, write));
        const read = (i: number) => device.read(slotOf(i), intos[i % QUEUE_DEPTH]);
        inSeconds[d].push(await depthRun(devicePages, QUEUE_DEPTH, read));
      }
    }
    const random = new Random(ctx.options.seed);
    const latencies = devices.map(() => new Float64Array(deviceLatencySamples));
    for (let first = 0; first < deviceLatencySamples; first += LATENCY_BLOCK) {
      for (const [d, device] of devices.entries()) {
        for (let n = first; n < Math.min(deviceLatencySamples, first + LATENCY_BLOCK); n++) {
          const t0 = performance.now();
          await device.read(slotOf(random.below(devicePages)), intos[0]);
          latencies[d][n] = (performance.now() - t0) * 1000;
        }
      }
    }
    return kinds.map((kind, d) => {
      const sorted = latencies[d].sort();
      return {
        label: kind.label,
        outPerSecond: devicePages / median(outSeconds[d]),
        inPerSecond: devicePages / median(inSeconds[d]),
        inUsP50: percentile(sorted, 50),
        inUsP99: percentile(sorted, 99),
      };
    });
  });
}

/** Pages/s of writes and of reads by pipeline batch; the devices and batches take turns. */
async function batchMeasure(ctx: Context, kinds: readonly DeviceKind[]): Promise<Cell[][]> {
  const count = ctx.sizes.devicePages;
  const pages = ctx.corpus.pages;
  const intos = Array.from({ length: Math.max(...BATCHES) }, () => new Uint8Array(PAGE_SIZE));
  return devicesWith(kinds, count, async (devices) => {
    const outs = devices.map(() => BATCHES.map((): number[] => []));
    const ins = devices.map(() => BATCHES.map((): number[] => []));
    for (let pass = 0; pass < ctx.sizes.plan.passesMin; pass++) {
      for (const [b, batch] of BATCHES.entries()) {
        for (const [d, device] of devices.entries()) {
          const write = (i: number) => device.write(slotOf(i), pages[i % pages.length]);
          outs[d][b].push(await batchRun(count, batch, write));
          ins[d][b].push(
            await batchRun(count, batch, (i) => device.read(slotOf(i), intos[i % batch])),
          );
        }
      }
    }
    return kinds.flatMap((kind, d) =>
      BATCHES.map((batch, b) => {
        const outSeconds = median(outs[d][b]);
        const inSeconds = median(ins[d][b]);
        const batchUs = (seconds: number) =>
          `${num((seconds * 1e6) / Math.ceil(count / batch))} µs`;
        return [
          kind.label,
          batch,
          rate(count / outSeconds),
          batchUs(outSeconds),
          rate(count / inSeconds),
          batchUs(inSeconds),
          ratio(median(outs[d][0]) / outSeconds),
          ratio(median(ins[d][0]) / inSeconds),
        ];
      }),
    );
  });
}

function fileKinds(direct: boolean): DeviceKind[] {
  const kinds: DeviceKind[] = [
    { label: "file, page cache", open: (slots) => FileDevice.open({ slots, folder: tmpdir() }) },
  ];
  if (direct) {
    kinds.push({
      label: "file, O_DIRECT",
      open: (slots) => FileDevice.open({ slots, folder: tmpdir(), direct: true }),
    });
  }
  return kinds;
}

function redisKind(label: string, url: string): DeviceKind {
  return { label, open: (slots) => RedisDevice.open({ slots, url, keyPrefix: "zswap-bench" }) };
}

export async function redisBench(ctx: Context): Promise<void> {
  heading("device: file, Redis and a Redis Cluster on loopback");
  const { devicePages, deviceLatencySamples } = ctx.sizes;
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
  note(
    `Method: ${devicePages} pages written to ${devicePages} slots and read back with ${QUEUE_DEPTH} ` +
      `I/Os in flight (pages/s: the median of ${ctx.sizes.plan.passesMin} passes), then ${deviceLatencySamples} reads one at a time of random slots ` +
      "(swap-in latency: a page fault waits for one page). Each device is opened empty and closed " +
      "after (Redis keys removed). Redis: redis-server started here on 127.0.0.1, no persistence, " +
      "one server, and three masters made into a cluster with `redis-cli --cluster create`; the " +
      "client is ioredis, many commands in flight on each connection (on one server, those issued " +
      "together also leave in one socket write). " +
      `The devices take turns, pass by pass and ${LATENCY_BLOCK} latency reads at a time, so that a ` +
      "passing load on a shared machine falls on all alike (load average " +
      `${load} at the start). ` +
      "Ratios are against the file device through the page cache, in this run.",
  );
  const files = fileKinds(await FileDevice.directSupported());
  const redises: DeviceKind[] = [];
  const installed = await redisInstalled();
  let server: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  try {
    if (installed) {
      server = await RedisServer.start();
      cluster = await RedisCluster.start(3);
      redises.push(
        redisKind("redis, one server", server.url),
        redisKind("redis cluster, 3 masters", cluster.url),
      );
    } else {
      note(
        "Skipped the Redis rows: redis-server is not installed (scripts/test-deps.sh installs it).",
      );
    }
    const figures = await deviceMeasure(ctx, [...files, ...redises]);
    const base = figures[0];
    table(
      ["device", "swap-out pages/s", "vs file", "swap-in pages/s", "vs file", "swap-in p50", "p99"],
      figures.map((f) => [
        f.label,
        rate(f.outPerSecond),
        ratio(f.outPerSecond / base.outPerSecond),
        rate(f.inPerSecond),
        ratio(f.inPerSecond / base.inPerSecond),
        `${num(f.inUsP50)} µs`,
        `${num(f.inUsP99)} µs`,
      ]),
    );
    if (redises.length === 0) return;
    note(
      `Pipelining: ${devicePages} writes then ${devicePages} reads in batches of B commands sent ` +
        "together, each batch awaited whole before the next (so one batch is one round trip); " +
        `µs per batch, and pages/s against a batch of one on the same device (medians of ${ctx.sizes.plan.passesMin} passes; devices and batches take turns).`,
    );
    table(
      [
        "device",
        "batch",
        "write pages/s",
        "per batch",
        "read pages/s",
        "per batch",
        "write vs 1",
        "read vs 1",
      ],
      await batchMeasure(ctx, redises),
    );
    const one = figures[files.length];
    ctx.headlines.push(
      `device: loopback Redis swap-in p50 ${num(one.inUsP50)} µs against the page-cached file's ${num(base.inUsP50)} µs; swap-out ${ratio(one.outPerSecond / base.outPerSecond)} x the file's pages/s`,
    );
  } finally {
    await server?.stop();
    await cluster?.stop();
  }
}
