// `zswap run --device redis://...` and `redis-cluster://...` as a user runs them, against real
// servers on loopback: every swap-in verified, the keys gone after, and the exit codes of a
// server that is not there (1, with its address) and of a bad URL (2).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CONFIG_NAMES } from "../../src/workload/run.ts";
import { RedisCluster, RedisServer, redisInstalled } from "../redis-server.ts";
import { ok, zswap } from "./zswap.ts";

const SMALL = ["--accesses", "3000", "--working-set", "512p", "--pages-from", "generated"];
const skip = (await redisInstalled()) ? false : "redis-server is not installed";

/** The verified line of each configuration run, with its count. */
function verified(stdout: string): number[] {
  return [...stdout.matchAll(/: every swap-in verified \((\d+)\)$/gm)].map((m) => Number(m[1]));
}

describe("zswap run --device redis", { skip }, () => {
  let server: RedisServer;
  let cluster: RedisCluster;
  before(async () => {
    server = await RedisServer.start();
    cluster = await RedisCluster.start(3);
  });
  after(async () => {
    await server?.stop();
    await cluster?.stop();
  });

  test("one server: every configuration verified, the keys removed after", async () => {
    const { stdout } = ok(await zswap(["run", ...SMALL, "--device", `${server.url}/1`]));
    const address = `redis://127.0.0.1:${server.port}/1`;
    assert.match(
      stdout,
      new RegExp(
        `^device: +redis ${address} \\(each configuration under its own key prefix, removed after\\)$`,
        "m",
      ),
    );
    const counts = verified(stdout);
    assert.equal(counts.length, CONFIG_NAMES.length);
    assert.ok(counts.every((n) => n > 0));
    assert.equal((await server.cli("-n", "1", "DBSIZE")).trim(), "0");
  });

  test("a swap file in front of the server: verified, the keys removed after", async () => {
    const argv = ["run", ...SMALL, "--configs", "writeback", "--device", server.url];
    const { stdout } = ok(await zswap([...argv, "--tier-file", "10%"]));
    assert.match(
      stdout,
      /^device: +an unnamed swap file of 51 pages \(.*\), its oldest pages moved to redis /m,
    );
    assert.equal(verified(stdout).length, 1);
    assert.equal((await server.cli("DBSIZE")).trim(), "0");
  });

  test("a three-master cluster: verified, no key left on any master", async () => {
    const argv = ["run", ...SMALL, "--configs", "disk,writeback", "--device", cluster.url];
    const { stdout } = ok(await zswap(argv));
    assert.match(stdout, /^device: +redis cluster redis-cluster:\/\/127\.0\.0\.1:\d+,/m);
    assert.equal(verified(stdout).length, 2);
    for (const node of cluster.nodes) assert.equal((await node.cli("DBSIZE")).trim(), "0");
  });

  test("a server that is not there: exit 1 at once, naming the address, nothing run", async () => {
    const gone = await RedisServer.start();
    const url = gone.url;
    await gone.stop();
    const exit = await zswap(["run", ...SMALL, "--device", url]);
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(
      exit.stderr,
      new RegExp(`^zswap: ZSWAP_E_IO: cannot connect to ${url}/0: .*ECONNREFUSED`, "m"),
    );
    assert.equal(exit.stdout, "");
  });
});

test("a bad --device value: exit 2, the password never printed", async () => {
  const exit = await zswap(["run", "--device", "redis://u:s3cret@host:0"]);
  assert.equal(exit.code, 2);
  assert.match(
    exit.stderr,
    /^zswap: ZSWAP_E_OPTION: --device redis:\/\/\*\*\*@host:0: port 0 is not in 1\.\.65535$/m,
  );
  assert.doesNotMatch(exit.stderr, /s3cret/);
});
