// The Redis connection of a device (ioredis), configured so that no command waits without bound:
//   1. while disconnected, a command fails at once (no offline queue);
//   2. a command in flight when the connection drops fails at once (no retry, no resend: a write
//      that may or may not have landed is reported, and the caller decides);
//   3. a command the server does not answer fails after REDIS_COMMAND_TIMEOUT_MS;
//   4. the client reconnects in the background, at most REDIS_RECONNECT_DELAY_MS_MAX apart, so
//      the device works again once the server is back; opening, though, fails at its first error;
//   5. in a cluster, a command whose master is down is redirected and retried by ioredis (its
//      defaults: at most 16 times, 100 ms apart), within the same command timeout.
// Commands are pipelined: many in flight on one connection, none waiting for another's reply; on
// one server, those issued in one event-loop turn also go out in one socket write.

import type { ConnectionOptions } from "node:tls";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import {
  REDIS_COMMAND_TIMEOUT_MS,
  REDIS_CONNECT_TIMEOUT_MS,
  REDIS_RECONNECT_DELAY_MS_MAX,
} from "../constants.ts";
import { ZswapIOError } from "../errors.ts";
import type { RedisTarget } from "./redis-target.ts";

export type RedisClient = Redis | Cluster;

/** Growth of the pause between reconnection attempts, per attempt, in ms. */
const RECONNECT_STEP_MS = 50;

/** Pause before reconnection attempt `times` (1, 2, ...), in ms. */
function reconnectDelayMs(times: number): number {
  return Math.min(REDIS_RECONNECT_DELAY_MS_MAX, RECONNECT_STEP_MS * times);
}

/** The options of one connection to one server (a cluster node's too). */
export function redisConnectionOptions(
  target: RedisTarget,
  tls: ConnectionOptions | undefined,
): RedisOptions {
  return {
    username: target.username,
    password: target.password,
    tls: target.tls ? (tls ?? {}) : undefined,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  };
}

/** A connected client for `target`; rejects with ZswapIOError naming the address if it cannot connect. */
export async function redisConnect(
  target: RedisTarget,
  tls: ConnectionOptions | undefined,
): Promise<RedisClient> {
  // Loaded on first use: a program that never opens a Redis device never loads the client.
  const { Cluster, Redis } = await import("ioredis");
  const connection = redisConnectionOptions(target, tls);
  let opened = false;
  const retry = (times: number) => (opened ? reconnectDelayMs(times) : null);
  const client: RedisClient = target.cluster
    ? new Cluster([...target.nodes], {
        lazyConnect: true,
        enableOfflineQueue: false,
        // Not auto-pipelined: ioredis 6's cluster pipelines never reconnect to a master that
        // restarted (every later command to its hash slots fails MOVED); single commands do.
        enableAutoPipelining: false,
        clusterRetryStrategy: retry,
        redisOptions: connection,
      })
    : new Redis({
        ...connection,
        ...target.nodes[0],
        db: target.db,
        enableAutoPipelining: true,
        retryStrategy: retry,
      });
  // Errors reach the commands they hit; the events would only repeat them, except while
  // opening, where the socket's error (ECONNREFUSED...) says more than "Connection is closed".
  let socketError: unknown;
  client.on("error", (error: unknown) => {
    socketError ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    // A cluster that failed to start says why in its last node's error.
    const nodeError = (socketError as { lastNodeError?: unknown } | undefined)?.lastNodeError;
    throw redisError(nodeError ?? socketError ?? error, `cannot connect to ${target.describe}`);
  }
  opened = true;
  return client;
}

/** The client's words for a connection that is down, and ours with an errno. */
const CONNECTION_ERRORS: readonly [RegExp, string, string][] = [
  [/^Stream isn't writeable/, "not connected (reconnecting)", "ENOTCONN"],
  [/^Reached the max retries per request/, "the connection dropped in flight", "ECONNRESET"],
  [/^Connection is closed\.$/, "the connection closed", "ECONNRESET"],
  [/^Command timed out$/, "no answer in time", "ETIMEDOUT"],
];

/** A client's error as a ZswapIOError (ours pass through): a full server is ENOSPC. */
export function redisError(error: unknown, what: string): ZswapIOError {
  if (error instanceof ZswapIOError) return error;
  let message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  let errno = typeof code === "string" ? code : undefined;
  if (message.startsWith("OOM ")) errno = "ENOSPC";
  for (const [shape, words, connectionErrno] of CONNECTION_ERRORS) {
    if (!shape.test(message)) continue;
    message = words;
    errno = connectionErrno;
  }
  return new ZswapIOError(`${what}: ${message}`, errno, { cause: error });
}
