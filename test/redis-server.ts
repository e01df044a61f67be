// Real redis-server processes on loopback for the tests and the benchmarks: one server, or a
// cluster of masters made with `redis-cli --cluster create`. Each lives in its own temporary
// folder on a port found free at run time, without persistence unless saved by hand; every wait
// is bounded, and a server still running when this process exits is killed.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
/** Longest wait for a server to accept connections, or a cluster to be formed, in ms. */
const START_MS_MAX = 10_000;
/** Pause between two looks at a cluster's state, in ms. */
const POLL_MS = 50;
/** A cluster node's bus port is its port plus this (Redis's fixed offset). */
const CLUSTER_BUS_OFFSET = 10_000;

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Whether redis-server and redis-cli are installed (scripts/test-deps.sh installs them). */
export async function redisInstalled(): Promise<boolean> {
  try {
    await execFileAsync("redis-server", ["--version"]);
    await execFileAsync("redis-cli", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** A loopback port free now (and, for a cluster node, its bus port too). */
async function portPick(cluster: boolean): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await portFree(port)) && (!cluster || (await portFree(port + CLUSTER_BUS_OFFSET)))) {
      return port;
    }
  }
  throw new Error("no free loopback port found in 100 tries");
}

export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    /** The server's folder: its snapshot (dump.rdb) and, in a cluster, nodes.conf. */
    readonly dir: string,
    private readonly cluster: boolean,
  ) {}

  /** Starts a server on a free loopback port in a new folder, persistence off. */
  static async start(options: { cluster?: boolean } = {}): Promise<RedisServer> {
    const cluster = options.cluster === true;
    const dir = await mkdtemp(join(tmpdir(), "zswap-redis-"));
    const server = new RedisServer(await portPick(cluster), dir, cluster);
    try {
      await server.launch();
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Runs redis-cli against this server; resolves to its output. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync("redis-cli", ["-p", String(this.port), ...args], {
      timeout: START_MS_MAX,
    });
    return stdout;
  }

  /** Writes a snapshot now (SAVE): a restart then finds the data as of this moment. */
  async save(): Promise<void> {
    const reply = (await this.cli("SAVE")).trim();
    if (reply !== "OK") throw new Error(`SAVE on port ${this.port} answered ${reply}`);
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    running.delete(child);
  }

  /** Stops the process without killing it (SIGSTOP): a server that no longer answers. */
  freeze(): void {
    this.child?.kill("SIGSTOP");
  }

  /** Lets a frozen server go on (SIGCONT). */
  thaw(): void {
    this.child?.kill("SIGCONT");
  }

  /** Starts the server again on the same port and folder (with its snapshot, if one was saved). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Kills the server and removes its folder. */
  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir];
    args.push("--save", "", "--appendonly", "no", "--protected-mode", "no");
    if (this.cluster) {
      args.push("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf");
      args.push("--cluster-node-timeout", "1000");
    }
    const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => fail("did not start"), START_MS_MAX);
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(`redis-server on port ${this.port} ${why}:\n${output}`));
      };
      child.stdout!.on("data", (chunk: Buffer) => {
        if (output.length < 65_536) output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on("data", (chunk: Buffer) => {
        if (output.length < 65_536) output += chunk.toString();
      });
      child.once("exit", (code) => fail(`exited (${code})`));
    });
    child.stdout!.resume();
  }
}

/** Three (or `masters`) cluster-enabled servers made into one cluster, every slot covered. */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(masters = 3): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) nodes.push(await RedisServer.start({ cluster: true }));
      const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
      await execFileAsync(
        "redis-cli",
        ["--cluster", "create", ...addresses, "--cluster-replicas", "0", "--cluster-yes"],
        { timeout: START_MS_MAX },
      );
      const cluster = new RedisCluster(nodes);
      await cluster.stateOk();
      return cluster;
    } catch (error) {
      for (const node of nodes) await node.stop();
      throw error;
    }
  }

  get url(): string {
    return `redis-cluster://${this.nodes.map((node) => `127.0.0.1:${node.port}`).join(",")}`;
  }

  /** Waits (bounded) until every node reports cluster_state:ok. */
  async stateOk(): Promise<void> {
    const deadline = Date.now() + START_MS_MAX;
    for (;;) {
      const states = await Promise.all(
        this.nodes.map((node) => node.cli("CLUSTER", "INFO").catch(() => "")),
      );
      if (states.every((info) => info.includes("cluster_state:ok"))) return;
      if (Date.now() > deadline) throw new Error(`the cluster is not ok:\n${states.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.stop();
  }
}
