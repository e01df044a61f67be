// device: the swap devices on their own, no zswap in front. Swap-out and swap-in pages/s at a
// fixed queue depth and swap-in latency one read at a time (a page fault waits for one page),
// over a loopback Redis server and a three-master Redis Cluster against the file device, all in
// this run on the same pages; then pages/s by pipeline batch (one batch of B commands in flight,
// awaited, then the next), against a batch of one.
//
// The servers are started here on loopback (redis-server, no persistence) and stopped after;
// without redis-server installed the Redis rows are skipped, and the report says so.

import { tmpdir } from "node:os";
import { PAGE_SIZE } from "../../src/constants.ts";
import { FileDevice, RedisDevice, type SwapDevice } from "../../src/device/index.ts";
import { Random } from "../../src/random.ts";
import type { SwapOffset } from "../../src/types.ts";
import { RedisCluster, RedisServer, redisInstalled } from "../../test/redis-server.ts";
import type { Context } from "../lib/context.ts";
import { heading, note, num, rate, ratio, table } from "../lib/report.ts";
import { median, percentile } from "../lib/timing.ts";

/** Reads and writes in flight at once in the throughput runs (zswap's writeback default). */
const QUEUE_DEPTH = 64;
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

async function deviceMeasure(ctx: Context, kind: DeviceKind): Promise<DeviceFigures> {
  const { devicePages, deviceLatencySamples } = ctx.sizes;
  const pages = ctx.corpus.pages;
  const device = await kind.open(devicePages);
  try {
    const intos = Array.from({ length: QUEUE_DEPTH }, () => new Uint8Array(PAGE_SIZE));
    const outSeconds: number[] = [];
    const inSeconds: number[] = [];
    for (let pass = 0; pass < ctx.sizes.plan.passesMin; pass++) {
      outSeconds.push(
        await depthRun(devicePages, QUEUE_DEPTH, (i) =>
          device.write(slotOf(i), pages[(i + pass) % pages.length]),
        ),
      );
      inSeconds.push(
        await depthRun(devicePages, QUEUE_DEPTH, (i) =>
          device.read(slotOf(i), intos[i % QUEUE_DEPTH]),
        ),
      );
    }
    const random = new Random(ctx.options.seed);
    const latencies = new Float64Array(deviceLatencySamples);
    for (let n = 0; n < deviceLatencySamples; n++) {
      const t0 = performance.now();
      await device.read(slotOf(random.below(devicePages)), intos[0]);
      latencies[n] = (performance.now() - t0) * 1000;
    }
    latencies.sort();
    return {
      label: kind.label,
      outPerSecond: devicePages / median(outSeconds),
      inPerSecond: devicePages / median(inSeconds),
      inUsP50: percentile(latencies, 50),
      inUsP99: percentile(latencies, 99),
    };
  } finally {
    await device.close();
  }
}

/** Pages/s of writes and of reads by pipeline batch, on one device. */
async function batchMeasure(ctx: Context, kind: DeviceKind): Promise<(string | number)[][]> {
  const count = ctx.sizes.devicePages;
  const pages = ctx.corpus.pages;
  const device = await kind.open(count);
  const intos = Array.from({ length: Math.max(...BATCHES) }, () => new Uint8Array(PAGE_SIZE));
  const rows: (string | number)[][] = [];
  try {
    let base: { out: number; in: number } | undefined;
    for (const batch of BATCHES) {
      const outs: number[] = [];
      const ins: number[] = [];
      for (let pass = 0; pass < ctx.sizes.plan.passesMin; pass++) {
        outs.push(
          await batchRun(count, batch, (i) => device.write(slotOf(i), pages[i % pages.length])),
        );
        ins.push(await batchRun(count, batch, (i) => device.read(slotOf(i), intos[i % batch])));
      }
      const outSeconds = median(outs);
      const inSeconds = median(ins);
      const out = count / outSeconds;
      const into = count / inSeconds;
      base ??= { out, in: into };
      const batchUs = (seconds: number) => (seconds * 1e6) / Math.ceil(count / batch);
      rows.push([
        kind.label,
        batch,
        rate(out),
        `${num(batchUs(outSeconds))} µs`,
        rate(into),
        `${num(batchUs(inSeconds))} µs`,
        ratio(out / base.out),
        ratio(into / base.in),
      ]);
    }
  } finally {
    await device.close();
  }
  return rows;
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
  note(
    `Method: ${devicePages} pages written to ${devicePages} slots and read back with ${QUEUE_DEPTH} ` +
      `I/Os in flight (pages/s: the median of ${ctx.sizes.plan.passesMin} passes), then ${deviceLatencySamples} reads one at a time of random slots ` +
      "(swap-in latency: a page fault waits for one page). Each device is opened empty and closed " +
      "after (Redis keys removed). Redis: redis-server started here on 127.0.0.1, no persistence, " +
      "one server, and three masters made into a cluster with `redis-cli --cluster create`; the " +
      "client is ioredis, many commands in flight on each connection (on one server, those issued " +
      "together also leave in one socket write). " +
      "Ratios are against the file device through the page cache, in this run.",
  );
  const kinds = fileKinds(await FileDevice.directSupported());
  const installed = await redisInstalled();
  let server: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  try {
    if (installed) {
      server = await RedisServer.start();
      cluster = await RedisCluster.start(3);
      kinds.push(
        redisKind("redis, one server", server.url),
        redisKind("redis cluster, 3 masters", cluster.url),
      );
    } else {
      note(
        "Skipped the Redis rows: redis-server is not installed (scripts/test-deps.sh installs it).",
      );
    }
    const figures: DeviceFigures[] = [];
    for (const kind of kinds) figures.push(await deviceMeasure(ctx, kind));
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
    if (server === undefined || cluster === undefined) return;
    note(
      `Pipelining: ${devicePages} writes then ${devicePages} reads in batches of B commands sent ` +
        "together, each batch awaited whole before the next (so one batch is one round trip); " +
        `µs per batch, and pages/s against a batch of one on the same device (medians of ${ctx.sizes.plan.passesMin} passes).`,
    );
    const rows = [
      ...(await batchMeasure(ctx, redisKind("redis, one server", server.url))),
      ...(await batchMeasure(ctx, redisKind("redis cluster, 3 masters", cluster.url))),
    ];
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
      rows,
    );
    const one = figures.find((f) => f.label === "redis, one server")!;
    ctx.headlines.push(
      `device: loopback Redis swap-in p50 ${num(one.inUsP50)} µs against the page-cached file's ${num(base.inUsP50)} µs; swap-out ${ratio(one.outPerSecond / base.outPerSecond)} x the file's pages/s`,
    );
  } finally {
    await server?.stop();
    await cluster?.stop();
  }
}
