// Redis (or Valkey) as the swap device: one binary value per written slot, on one server or
// spread over a Redis Cluster.
//
// Keys. Slot s of a device lives at `PREFIX:ID:s`, where ID is 16 random hex digits chosen at
// open, so two devices, two runs or two configurations never share a key. The keys carry no hash
// tag: each hashes to its own cluster slot, so one space's pages spread over every master (a
// tag would pin the whole space to one node, which is what a cluster is there to avoid). Close
// needs no SCAN over a keyspace others share: the device knows every slot it wrote, and UNLINKs
// exactly those keys, REDIS_UNLINK_BATCH_KEYS at a time. `PREFIX:ID:epoch` is written at open
// (SET NX: the ID is ours alone) and removed last.
//
// Values. A value is the page followed by a 4-byte little-endian generation: the slot's write
// count. The device keeps each slot's last generation (4 bytes a slot; 0 = never written), so a
// read tells apart, without trusting the server:
//   1. a slot never written: no key is read at all, and the page is zeros (the device contract);
//   2. a slot written whose key is gone (a server restarted without persistence, an eviction):
//      ZswapIOError ENODATA, for that slot and every other one lost, never zeros;
//   3. a slot whose key holds an older generation (a server restored from an older snapshot):
//      ZswapIOError ESTALE, never the old bytes;
//   4. anything but PAGE_SIZE + 4 bytes: ZswapIOError EBADMSG.
// A write that failed leaves its slot unspecified (as the contract allows): the generation was
// already counted, so a later read finds the new page, or reports 2 or 3.
//
// Faults. A dropped connection, a server that is down or does not answer fails the commands it
// hit with ZswapIOError (redis-client.ts says how each is bounded); the client reconnects by
// itself. Writeback keeps a page in zswap's pool until its write is acknowledged, so a failed
// write loses nothing above this layer either.

import { randomBytes } from "node:crypto";
import type { ConnectionOptions } from "node:tls";
import { PAGE_SIZE, REDIS_IN_FLIGHT_MAX, REDIS_UNLINK_BATCH_KEYS } from "../constants.ts";
import { optionsKnownCheck, ZswapIOError, ZswapOptionError } from "../errors.ts";
import type { SwapOffset } from "../types.ts";
import { slotsCheck } from "./check.ts";
import { IoDepth } from "./in-flight.ts";
import { PageDevice } from "./page-device.ts";
import { type RedisClient, redisConnect, redisError } from "./redis-client.ts";
import { type RedisTarget, redisTargetParse } from "./redis-target.ts";

export interface RedisDeviceOptions {
  /** Slots of PAGE_SIZE bytes; the device keeps 4 bytes of memory a slot. */
  slots: number;
  /** redis://, rediss://, redis-cluster:// or rediss-cluster:// (see redis-target.ts). */
  url: string;
  /** First part of every key name (default "zswap"): letters, digits and `_.:-`, at most 64. */
  keyPrefix?: string;
  /** TLS options for rediss:// (a private CA, a client certificate), as node:tls takes them. */
  tls?: ConnectionOptions;
}

/** Bytes of a stored value: the page, then its generation. */
const VALUE_BYTES = PAGE_SIZE + 4;
const KEY_PREFIX_DEFAULT = "zswap";
const KEY_PREFIX_SHAPE = /^[A-Za-z0-9_.:-]{1,64}$/;
const REDIS_DEVICE_OPTIONS: ReadonlySet<string> = new Set([
  "slots",
  "url",
  "keyPrefix",
  "tls",
] satisfies (keyof RedisDeviceOptions)[]);

export class RedisDevice extends PageDevice {
  readonly slots: number;
  readonly describe: string;
  /** Each slot's last generation written; 0 = never written. */
  private readonly generations: Uint32Array;
  private readonly depth = new IoDepth(REDIS_IN_FLIGHT_MAX);
  /** One value buffer per unit of depth, indexed by its token. */
  private readonly values: Buffer[] = [];

  private constructor(
    private readonly client: RedisClient,
    readonly target: RedisTarget,
    /** `PREFIX:ID`: every key of this device starts with it and a colon. */
    readonly namespace: string,
    slots: number,
  ) {
    super();
    this.slots = slots;
    this.generations = new Uint32Array(slots);
    for (let i = 0; i < REDIS_IN_FLIGHT_MAX; i++) this.values.push(Buffer.alloc(VALUE_BYTES));
    this.describe = `redis ${target.describe} (keys ${namespace}:*, ${slots} slots)`;
  }

  /**
   * Connects and claims a new key namespace. Bad options are ZswapArgumentError; a server that
   * cannot be reached or refuses (AUTH, ACL) is ZswapIOError naming its address.
   */
  static async open(options: RedisDeviceOptions): Promise<RedisDevice> {
    if (typeof options !== "object" || options === null) {
      throw new ZswapOptionError("RedisDevice.open needs an options object");
    }
    optionsKnownCheck(options, REDIS_DEVICE_OPTIONS);
    slotsCheck(options.slots);
    const keyPrefix = options.keyPrefix ?? KEY_PREFIX_DEFAULT;
    if (typeof keyPrefix !== "string" || !KEY_PREFIX_SHAPE.test(keyPrefix)) {
      throw new ZswapOptionError(
        `keyPrefix must be 1..64 of letters, digits and _.:- (no hash tag), got ${JSON.stringify(keyPrefix)}`,
      );
    }
    const target = redisTargetParse(options.url);
    const client = await redisConnect(target, options.tls);
    const namespace = `${keyPrefix}:${randomBytes(8).toString("hex")}`;
    try {
      const claimed = await client.set(`${namespace}:epoch`, new Date().toISOString(), "NX");
      if (claimed !== "OK") throw new ZswapIOError(`key namespace ${namespace} is already in use`);
    } catch (error) {
      client.disconnect();
      throw redisError(error, `cannot open a device on ${target.describe}`);
    }
    return new RedisDevice(client, target, namespace, options.slots);
  }

  /** One round trip to the server (a node of the cluster); ZswapIOError if it fails. */
  async ping(): Promise<void> {
    try {
      await this.client.ping();
    } catch (error) {
      throw redisError(error, `ping of ${this.target.describe} failed`);
    }
  }

  private key(slot: number): string {
    return `${this.namespace}:${slot}`;
  }

  protected async pageRead(slot: SwapOffset, into: Uint8Array): Promise<void> {
    const generation = this.generations[slot];
    if (generation === 0) {
      into.fill(0);
      return;
    }
    const token = await this.depth.get();
    let value: Buffer | null;
    try {
      value = await this.client.getBuffer(this.key(slot));
    } catch (error) {
      throw redisError(error, `read of slot ${slot} from ${this.target.describe} failed`);
    } finally {
      this.depth.put(token);
    }
    if (value === null) throw await this.lostError(slot, generation);
    if (value.length !== VALUE_BYTES) {
      throw this.readError(slot, `holds ${value.length} bytes, not ${VALUE_BYTES}`, "EBADMSG");
    }
    const found = value.readUInt32LE(PAGE_SIZE);
    if (found !== generation) {
      throw this.readError(slot, `holds generation ${found}, not ${generation}: stale`, "ESTALE");
    }
    into.set(value.subarray(0, PAGE_SIZE));
  }

  protected async pageWrite(slot: SwapOffset, page: Uint8Array): Promise<void> {
    const generation = (this.generations[slot] + 1) >>> 0 || 1;
    this.generations[slot] = generation;
    const token = await this.depth.get();
    try {
      const value = this.values[token];
      value.set(page);
      value.writeUInt32LE(generation, PAGE_SIZE);
      await this.client.set(this.key(slot), value);
    } catch (error) {
      throw redisError(error, `write of slot ${slot} to ${this.target.describe} failed`);
    } finally {
      // ioredis has copied the value into its own request by the time the command settles.
      this.depth.put(token);
    }
  }

  private readError(slot: number, why: string, errno: string): ZswapIOError {
    return new ZswapIOError(`slot ${slot} on ${this.target.describe} ${why}`, errno);
  }

  /** ENODATA for a written slot whose key is gone, saying whether the epoch key went too. */
  private async lostError(slot: number, generation: number): Promise<ZswapIOError> {
    const epoch = await this.client.exists(`${this.namespace}:epoch`).catch(() => undefined);
    const cause =
      epoch === 0
        ? "the server lost this device's data (its epoch key is gone too: restarted without persistence?)"
        : epoch === 1
          ? "the key was removed or evicted (the epoch key is still there)"
          : "lost";
    return this.readError(
      slot,
      `was written (generation ${generation}) but its key is gone: ${cause}`,
      "ENODATA",
    );
  }

  /** Removes every key this device wrote, then its epoch key, and disconnects. */
  protected async shutdown(): Promise<void> {
    try {
      let batch: Promise<number>[] = [];
      for (let slot = 0; slot < this.slots; slot++) {
        if (this.generations[slot] === 0) continue;
        batch.push(this.client.unlink(this.key(slot)));
        if (batch.length === REDIS_UNLINK_BATCH_KEYS) {
          await Promise.all(batch);
          batch = [];
        }
      }
      await Promise.all(batch);
      await this.client.unlink(`${this.namespace}:epoch`);
    } catch (error) {
      throw redisError(
        error,
        `cannot remove keys ${this.namespace}:* from ${this.target.describe}`,
      );
    } finally {
      this.client.disconnect();
    }
  }
}
