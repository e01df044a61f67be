// RedisDevice against real redis-server processes on loopback: one server, and a cluster of three
// masters. Faults are real too: a server killed with SIGKILL mid-run and restarted, empty (no
// persistence) or from a snapshot. Verdicts depend on what came back, never on timing.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PAGE_SIZE, REDIS_IN_FLIGHT_MAX } from "../../src/constants.ts";
import { RedisDevice, redisTargetParse } from "../../src/device/index.ts";
import { redisConnectionOptions } from "../../src/device/redis-client.ts";
import { ZswapArgumentError, ZswapIOError } from "../../src/errors.ts";
import { Random } from "../../src/random.ts";
import { type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { RedisCluster, RedisServer, redisInstalled } from "../redis-server.ts";
import { pageMake, rejectsWith, roundTripCheck, slot } from "./helpers.ts";

const installed = await redisInstalled();
const skip = installed ? false : "redis-server is not installed (scripts/test-deps.sh installs it)";
/** Bounded wait for a restarted server to answer the device again: tries, ms apart. */
const RECONNECT_TRIES = 100;
const RECONNECT_PAUSE_MS = 50;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The errno of a ZswapIOError; fails on any other error. */
function ioErrno(error: unknown): string | undefined {
  assert.ok(error instanceof ZswapIOError, `a ZswapIOError, got ${String(error)}`);
  return error.errno;
}

/** Reads every slot of `written`; resolves to the slots reported lost (ENODATA), checking the rest. */
async function lostSlots(device: RedisDevice, written: Map<number, Uint8Array>): Promise<number[]> {
  const into = new Uint8Array(PAGE_SIZE);
  const lost: number[] = [];
  for (const [s, page] of written) {
    into.fill(0xee);
    try {
      await device.read(slot(s), into);
      assert.deepEqual(into, page, `slot ${s} reads back what was written`);
    } catch (error) {
      // Another I/O error is a connection not back yet: afterReconnect tries again.
      if (!(error instanceof ZswapIOError) || error.errno !== "ENODATA") throw error;
      lost.push(s);
    }
  }
  return lost;
}

/** Retries `check` (bounded) while it fails with a connection error, not a verdict. */
async function afterReconnect<T>(check: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      const connection =
        error instanceof ZswapIOError && error.errno !== "ENODATA" && error.errno !== "ESTALE";
      if (!connection || attempt === RECONNECT_TRIES) throw error;
      await pause(RECONNECT_PAUSE_MS);
    }
  }
}

/** Keys in the server's database, as DBSIZE counts them. */
async function keyCount(server: RedisServer): Promise<number> {
  return Number((await server.cli("DBSIZE")).trim());
}

/**
 * Runs `body` on a device of `slots` over a server of its own, which it may kill and restart;
 * then checks that closing the device removed every key. The device is closed and the server
 * stopped however `body` ends.
 */
async function onOwnServer(
  slots: number,
  body: (server: RedisServer, device: RedisDevice) => Promise<void>,
): Promise<void> {
  const server = await RedisServer.start();
  let device: RedisDevice | undefined;
  try {
    device = await RedisDevice.open({ slots, url: server.url });
    await body(server, device);
    await afterReconnect(() => device!.ping());
    await device.close();
    assert.equal(await keyCount(server), 0, "close removed every key");
  } finally {
    await device?.close().catch(() => {});
    await server.stop();
  }
}

/** Model of a space's live slots: what each must read back. */
class Model {
  readonly live = new Map<SwapSlot, Uint8Array>();
  readonly slots: SwapSlot[] = [];
  add(s: SwapSlot, page: Uint8Array): void {
    this.live.set(s, page);
    this.slots.push(s);
  }
  drop(i: number): SwapSlot {
    const s = this.slots[i]!;
    this.slots[i] = this.slots[this.slots.length - 1]!;
    this.slots.pop();
    this.live.delete(s);
    return s;
  }
}

/**
 * `ops` seeded operations on `space` (swap out a generated page, swap in and compare, swap in
 * and free, free), checked against `model`. With `outage`, a ZswapIOError is allowed (the swap
 * out is then not done, the swap-in's slot stays live); any other error fails.
 */
async function modelOps(
  space: SwapSpace,
  model: Model,
  options: { ops: number; seed: number; pages: readonly Uint8Array[]; outage?: boolean },
): Promise<{ ioErrors: number }> {
  const random = new Random(options.seed);
  const into = new Uint8Array(PAGE_SIZE);
  let ioErrors = 0;
  const tolerate = (error: unknown) => {
    if (!options.outage) throw error;
    ioErrno(error);
    ioErrors++;
  };
  for (let op = 0; op < options.ops; op++) {
    const choice = random.below(10);
    if (model.slots.length === 0 || (choice < 5 && model.slots.length < space.stats().swap_slots)) {
      const page = options.pages[random.below(options.pages.length)]!;
      await space.swapOut(page).then((s) => model.add(s, page), tolerate);
      continue;
    }
    const i = random.below(model.slots.length);
    const s = model.slots[i]!;
    if (choice < 8) {
      into.fill(0xee);
      const free = choice === 7;
      const read = await space.swapIn(s, into, { free }).then(() => true, tolerate);
      if (read) assert.deepEqual(into, model.live.get(s), `op ${op}: slot ${s}`);
      if (read && free) model.drop(i);
    } else {
      space.free(model.drop(i));
    }
  }
  return { ioErrors };
}

/** A space of `slots` over `device` with a small pool, so writeback moves pages to Redis. */
function spaceOpen(device: RedisDevice, slots: number): Promise<SwapSpace> {
  return SwapSpace.open({
    slots,
    device,
    zswap: { maxPoolBytes: 32 * PAGE_SIZE, compressor: "lz4" },
    writeback: true,
  });
}

describe("redisTargetParse: URLs in the user's terms", () => {
  test("one server, a cluster, TLS, an ACL user and a password, IPv6", () => {
    const one = redisTargetParse("redis://10.0.0.5:6380/3");
    assert.deepEqual(
      { ...one, describe: undefined },
      {
        cluster: false,
        tls: false,
        nodes: [{ host: "10.0.0.5", port: 6380 }],
        db: 3,
        username: undefined,
        password: undefined,
        describe: undefined,
      },
    );
    assert.equal(redisTargetParse("redis://cache").nodes[0]!.port, 6379);
    const tls = redisTargetParse("rediss://swapper:p%40ss@cache.example:6390");
    assert.equal(tls.tls, true);
    assert.equal(tls.username, "swapper");
    assert.equal(tls.password, "p@ss");
    assert.equal(tls.describe, "rediss://swapper:***@cache.example:6390/0", "password hidden");
    const defaultUser = redisTargetParse("redis://:secret@[::1]:7000");
    assert.equal(defaultUser.username, undefined);
    assert.equal(defaultUser.password, "secret");
    assert.deepEqual(defaultUser.nodes, [{ host: "::1", port: 7000 }]);
    const cluster = redisTargetParse("rediss-cluster://a:1,b:2,c:3");
    assert.equal(cluster.cluster, true);
    assert.equal(cluster.tls, true);
    assert.deepEqual(
      cluster.nodes.map((n) => `${n.host}:${n.port}`),
      ["a:1", "b:2", "c:3"],
    );
  });

  test("TLS and credentials reach the connection options (no TLS server here: plumbing only)", () => {
    const options = redisConnectionOptions(redisTargetParse("rediss://u:pw@h:1"), { ca: "CA" });
    assert.deepEqual(options.tls, { ca: "CA" });
    assert.equal(options.username, "u");
    assert.equal(options.password, "pw");
    assert.deepEqual(redisConnectionOptions(redisTargetParse("rediss://h:1"), undefined).tls, {});
    assert.equal(
      redisConnectionOptions(redisTargetParse("redis://h:1"), { ca: "CA" }).tls,
      undefined,
    );
    assert.equal(options.enableOfflineQueue, false, "no command waits for a reconnection");
    assert.equal(options.maxRetriesPerRequest, 0, "a command hit by a drop fails, not resent");
  });

  test("bad URLs are option errors that never print the password", () => {
    const bad = [
      ["http://h:1", /unknown scheme http/],
      ["redis://h:0", /port 0 is not in 1..65535/],
      ["redis://h:1,g:2", /one server takes one HOST:PORT/],
      ["redis-cluster://h", /give each cluster node's port/],
      ["redis-cluster://h:1/2", /a cluster has only database 0/],
      ["redis://h:1/x", /the database must be a number/],
      ["redis://secret@h:1", /credentials are USER:PASSWORD@/],
      ["redis://u:secret@h:1?tls=1", /expected redis:\/\//],
      ["redis://h_:1", /is not a host name/],
      ["redis://", /is not HOST:PORT/],
    ] as const;
    for (const [url, message] of bad) {
      assert.throws(
        () => redisTargetParse(url, "--device"),
        (error: Error) =>
          error instanceof ZswapArgumentError &&
          message.test(error.message) &&
          error.message.startsWith("ZSWAP_E_OPTION: --device ") &&
          !error.message.includes("secret"),
        url,
      );
    }
  });

  test("options are checked before any connection", async () => {
    await rejectsWith(
      RedisDevice.open({ slots: 0, url: "redis://127.0.0.1:1" }),
      ZswapArgumentError,
      "ZSWAP_E_OPTION",
    );
    const tagged = RedisDevice.open({ slots: 4, url: "redis://127.0.0.1:1", keyPrefix: "{a}" });
    assert.match(
      (await rejectsWith(tagged, ZswapArgumentError, "ZSWAP_E_OPTION")).message,
      /hash tag/,
    );
    const typo = { slots: 4, url: "redis://127.0.0.1:1", keyprefix: "mine:" } as never;
    assert.match(
      (await rejectsWith(RedisDevice.open(typo), ZswapArgumentError, "ZSWAP_E_OPTION")).message,
      /unknown option "keyprefix"/,
    );
  });
});

describe("RedisDevice on one server", { skip }, () => {
  let server: RedisServer;
  before(async () => {
    server = await RedisServer.start();
  });
  after(async () => {
    await server?.stop();
  });

  test("a server that is not there is an I/O error naming its address", async () => {
    const gone = await RedisServer.start();
    const url = gone.url;
    await gone.stop();
    const error = await rejectsWith(
      RedisDevice.open({ slots: 4, url }),
      ZswapIOError,
      "ZSWAP_E_IO",
    );
    assert.match(error.message, new RegExp(`cannot connect to ${url}/0: .*ECONNREFUSED`));
  });

  test("pages round-trip; never-written slots read zeros; close removes every key", async () => {
    const device = await RedisDevice.open({ slots: 300, url: server.url });
    assert.match(
      device.describe,
      /^redis redis:\/\/127\.0\.0\.1:\d+\/0 \(keys zswap:[0-9a-f]{16}:\*, 300 slots\)$/,
    );
    const written = new Map<number, Uint8Array>();
    await roundTripCheck(device, 120, 1, written);
    await roundTripCheck(device, 40, 2, written); // overwrites some slots
    assert.equal(
      await keyCount(server),
      written.size + 1,
      "a key a written slot, and the epoch key",
    );
    await device.close();
    assert.equal(await keyCount(server), 0);
  });

  test("more I/Os than REDIS_IN_FLIGHT_MAX at once all complete, in one database of many", async () => {
    const device = await RedisDevice.open({ slots: 1024, url: `${server.url}/2` });
    try {
      const count = REDIS_IN_FLIGHT_MAX * 3;
      const pages = Array.from({ length: count }, (_, n) => pageMake(500 + n));
      await Promise.all(pages.map((page, n) => device.write(slot(n), page)));
      const intos = pages.map(() => new Uint8Array(PAGE_SIZE));
      await Promise.all(intos.map((into, n) => device.read(slot(n), into)));
      for (let n = 0; n < count; n++) assert.deepEqual(intos[n], pages[n], `slot ${n}`);
      assert.equal(await keyCount(server), 0, "database 0 untouched");
    } finally {
      await device.close();
    }
  });

  test("an ACL user with a password works; a wrong password is refused at open", async () => {
    await server.cli("ACL", "SETUSER", "swapper", "on", ">s3cret", "~zswap:*", "+@all");
    const url = server.url.replace("//", "//swapper:s3cret@");
    const device = await RedisDevice.open({ slots: 8, url });
    assert.match(device.describe, /redis:\/\/swapper:\*\*\*@127/);
    await roundTripCheck(device, 4, 3);
    await device.close();
    const wrong = RedisDevice.open({ slots: 8, url: url.replace("s3cret", "nope") });
    const error = await rejectsWith(wrong, ZswapIOError, "ZSWAP_E_IO");
    assert.match(error.message, /WRONGPASS/);
    assert.doesNotMatch(error.message, /nope|s3cret/);
    const fenced = RedisDevice.open({ slots: 8, url, keyPrefix: "elsewhere" });
    assert.match((await rejectsWith(fenced, ZswapIOError, "ZSWAP_E_IO")).message, /NOPERM/);
  });

  test("SwapSpace over Redis: seeded random operations, every swap-in checked against a model", async () => {
    const device = await RedisDevice.open({ slots: 256, url: server.url });
    const space = await spaceOpen(device, 256);
    try {
      const model = new Model();
      await modelOps(space, model, { ops: 3000, seed: 11, pages: generatePages(200, 11) });
      const stats = space.stats();
      assert.ok(stats.zswpwb! > 0, "writeback moved pages to Redis");
      assert.ok(stats.pswpin > 0, "pages came back from Redis");
    } finally {
      await space.close();
      await device.close();
    }
    assert.equal(await keyCount(server), 0);
  });
});

describe("RedisDevice when its server dies", { skip }, () => {
  test("killed and restarted empty: each written slot is reported lost, none read as zeros", () =>
    onOwnServer(64, async (server, device) => {
      const written = new Map<number, Uint8Array>();
      for (let s = 0; s < 40; s++) {
        written.set(s, pageMake(900 + s));
        await device.write(slot(s), written.get(s)!);
      }
      await server.kill();
      const into = new Uint8Array(PAGE_SIZE);
      await rejectsWith(device.read(slot(3), into), ZswapIOError, "ZSWAP_E_IO");
      await rejectsWith(device.write(slot(50), pageMake(1)), ZswapIOError, "ZSWAP_E_IO");
      await server.restart();
      const lost = await afterReconnect(() => lostSlots(device, written));
      assert.deepEqual(lost, [...written.keys()], "every written slot is reported, one by one");
      await device.read(slot(60), into.fill(0xee));
      assert.ok(
        into.every((b) => b === 0),
        "a slot never written still reads zeros",
      );
      await device.write(slot(3), pageMake(3));
      await device.read(slot(3), into);
      assert.deepEqual(into, pageMake(3), "a slot written again is served again");
    }));

  test("a server that stops answering: the command fails ETIMEDOUT, and works again after", () =>
    onOwnServer(8, async (server, device) => {
      await device.write(slot(1), pageMake(1));
      server.freeze();
      try {
        const into = new Uint8Array(PAGE_SIZE);
        const hung = await rejectsWith(device.read(slot(1), into), ZswapIOError, "ZSWAP_E_IO");
        assert.equal((hung as ZswapIOError).errno, "ETIMEDOUT", hung.message);
      } finally {
        server.thaw();
      }
      const into = new Uint8Array(PAGE_SIZE);
      await afterReconnect(() => device.read(slot(1), into));
      assert.deepEqual(into, pageMake(1));
    }));

  test("restarted from an older snapshot: slots written since are stale or lost, never served", () =>
    onOwnServer(16, async (server, device) => {
      for (let s = 0; s < 8; s++) await device.write(slot(s), pageMake(s));
      await server.save();
      await device.write(slot(2), pageMake(102)); // in memory only: the snapshot has pageMake(2)
      await device.write(slot(9), pageMake(109)); // not in the snapshot at all
      await server.restart();
      await afterReconnect(() => device.ping());
      const into = new Uint8Array(PAGE_SIZE);
      const stale = await rejectsWith(device.read(slot(2), into), ZswapIOError, "ZSWAP_E_IO");
      assert.equal((stale as ZswapIOError).errno, "ESTALE");
      const gone = await rejectsWith(device.read(slot(9), into), ZswapIOError, "ZSWAP_E_IO");
      assert.equal((gone as ZswapIOError).errno, "ENODATA");
      for (const s of [0, 1, 3, 7]) {
        await device.read(slot(s), into);
        assert.deepEqual(into, pageMake(s), `slot ${s} kept by the snapshot`);
      }
    }));

  for (const kept of [false, true]) {
    const how = kept
      ? "restarted with its data (SAVE first): nothing is lost"
      : "restarted empty: lost slots are reported, nothing else goes wrong";
    test(`SwapSpace with writeback, server killed mid-run and ${how}`, () =>
      onOwnServer(256, async (server, device) => {
        const space = await spaceOpen(device, 256);
        try {
          await killedMidRun(server, device, space, kept);
        } finally {
          await space.close();
        }
      }));
  }
});

/** Operations, a kill (after SAVE when `kept`), operations in the outage, a restart, a check of every live slot, more operations. */
async function killedMidRun(
  server: RedisServer,
  device: RedisDevice,
  space: SwapSpace,
  kept: boolean,
): Promise<void> {
  const pages = generatePages(200, 21);
  const model = new Model();
  await modelOps(space, model, { ops: 1500, seed: 21, pages });
  assert.ok(space.stats().zswpwb! > 0, "pages were written back before the kill");
  if (kept) await server.save();
  await server.kill();
  const failsBefore = space.stats().writeback_fail;
  const outage = await modelOps(space, model, { ops: 400, seed: 22, pages, outage: true });
  assert.ok(outage.ioErrors > 0, "operations that needed the server failed, typed");
  assert.ok(space.stats().writeback_fail! > failsBefore!, "writebacks failed and kept their pages");
  await server.restart();
  await afterReconnect(() => device.ping());
  const into = new Uint8Array(PAGE_SIZE);
  let lost = 0;
  for (const [s, page] of [...model.live]) {
    into.fill(0xee);
    try {
      await space.swapIn(s, into);
      assert.deepEqual(into, page, `slot ${s}`);
    } catch (error) {
      assert.equal(ioErrno(error), "ENODATA", (error as Error).message);
      lost++;
      model.drop(model.slots.indexOf(s));
      space.free(s);
    }
  }
  if (kept) assert.equal(lost, 0, "a restart with the data loses nothing");
  else assert.ok(lost > 0, "pages that were only in Redis are reported lost");
  await modelOps(space, model, { ops: 1000, seed: 23, pages });
}

describe("RedisDevice on a three-master cluster", { skip }, () => {
  let cluster: RedisCluster;
  before(async () => {
    cluster = await RedisCluster.start(3);
  });
  after(async () => {
    await cluster?.stop();
  });

  test("a space's keys spread over every master; round trips; close removes them all", async () => {
    const device = await RedisDevice.open({ slots: 512, url: cluster.url });
    assert.match(device.describe, /^redis redis-cluster:\/\/127\.0\.0\.1:\d+,127/);
    const written = new Map<number, Uint8Array>();
    await roundTripCheck(device, 300, 4, written);
    const counts = await Promise.all(cluster.nodes.map(keyCount));
    assert.ok(
      counts.every((n) => n > 0),
      `keys on every master: ${counts}`,
    );
    assert.equal(
      counts.reduce((a, b) => a + b),
      written.size + 1,
    );
    await device.close();
    assert.deepEqual(await Promise.all(cluster.nodes.map(keyCount)), [0, 0, 0]);
  });

  test("SwapSpace over the cluster: seeded random operations against a model", async () => {
    const device = await RedisDevice.open({ slots: 256, url: cluster.url });
    const space = await spaceOpen(device, 256);
    try {
      await modelOps(space, new Model(), { ops: 2000, seed: 31, pages: generatePages(200, 31) });
      assert.ok(space.stats().zswpwb! > 0);
    } finally {
      await space.close();
      await device.close();
    }
  });

  test("a master killed and restarted empty: exactly its slots are reported lost", async () => {
    const device = await RedisDevice.open({ slots: 128, url: cluster.url });
    try {
      const written = new Map<number, Uint8Array>();
      for (let s = 0; s < 96; s++) written.set(s, pageMake(300 + s));
      await Promise.all([...written].map(([s, page]) => device.write(slot(s), page)));
      const victim = cluster.nodes[1]!;
      const scan = await victim.cli("--scan", "--pattern", `${device.namespace}:*`);
      const onVictim = new Set(
        scan
          .split("\n")
          .filter((key) => key !== "")
          .map((key) => Number(key.slice(device.namespace.length + 1)))
          .filter((s) => written.has(s)),
      );
      assert.ok(
        onVictim.size > 0 && onVictim.size < written.size,
        `${onVictim.size} slots on the victim`,
      );
      await victim.restart();
      await cluster.stateOk();
      const lost = await afterReconnect(() => lostSlots(device, written));
      assert.deepEqual(
        lost,
        [...onVictim].sort((a, b) => a - b),
        "the victim's slots, and only those",
      );
    } finally {
      await device.close();
    }
  });
});
