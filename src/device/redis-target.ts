// Where a Redis device keeps its pages: one server or a cluster, from a URL, checked before any
// connection is made. A password is never printed: describe() and error messages hide it.
//
//   redis://[USER:PASSWORD@]HOST[:PORT][/DB]          one server (PORT 6379, DB 0 by default)
//   rediss://...                                       the same over TLS
//   redis-cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]   a cluster, from any of its nodes
//   rediss-cluster://...                               the same over TLS
//
// USER and PASSWORD are percent-decoded; an empty USER (`:PASSWORD@`) is Redis's default user
// (AUTH with a password only). HOST may be a name, an IPv4 address or a bracketed IPv6 address.

import { ZswapOptionError } from "../errors.ts";

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisTarget {
  /** A Redis Cluster (keys spread over its masters) rather than one server. */
  readonly cluster: boolean;
  /** Connect with TLS (rediss://). */
  readonly tls: boolean;
  /** The server, or the cluster nodes to start from (the rest are discovered). */
  readonly nodes: readonly RedisNode[];
  /** The logical database of a single server; a cluster has only 0. */
  readonly db: number;
  /** ACL user; undefined for the default user. */
  readonly username: string | undefined;
  /** Password (AUTH); undefined for none. */
  readonly password: string | undefined;
  /** The URL with any password hidden, for reports. */
  readonly describe: string;
}

const SCHEMES = {
  redis: { cluster: false, tls: false },
  rediss: { cluster: false, tls: true },
  "redis-cluster": { cluster: true, tls: false },
  "rediss-cluster": { cluster: true, tls: true },
} as const;
const PORT_DEFAULT = 6379;
/** Largest database number SELECT takes (a server refuses those past its `databases`). */
const DB_MAX = 2 ** 31 - 1;
const URL_SHAPE = /^([a-z-]+):\/\/(?:([^@/]*)@)?([^/?#@]*)(?:\/([^?#]*))?$/i;
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const EXPECTED =
  "expected redis://HOST:PORT[/DB], rediss://..., redis-cluster://HOST:PORT[,HOST:PORT...] or rediss-cluster://...";

/** `url` with its user information hidden, safe to print. */
function redacted(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

/** Parses and checks a Redis URL; `what` names it in errors (e.g. "--device"). */
export function redisTargetParse(url: string, what = "url"): RedisTarget {
  const bad = (why: string) => new ZswapOptionError(`${what} ${redacted(url)}: ${why}`);
  if (typeof url !== "string") throw bad("not a string");
  const shape = URL_SHAPE.exec(url);
  if (shape === null) throw bad(EXPECTED);
  const [, schemeRaw, userinfo, hostList, path] = shape;
  const scheme = schemeRaw!.toLowerCase();
  if (!Object.hasOwn(SCHEMES, scheme)) throw bad(`unknown scheme ${scheme}://; ${EXPECTED}`);
  const { cluster, tls } = SCHEMES[scheme as keyof typeof SCHEMES];
  const nodes = hostList!.split(",").map((node) => nodeParse(node, cluster, bad));
  if (!cluster && nodes.length > 1)
    throw bad("one server takes one HOST:PORT; for several, use redis-cluster://");
  const db = dbParse(path, cluster, bad);
  const { username, password } = userinfoParse(userinfo, bad);
  const hidden =
    userinfo === undefined ? "" : `${username ?? ""}${password === undefined ? "" : ":***"}@`;
  const hosts = nodes.map(({ host, port }) => `${host.includes(":") ? `[${host}]` : host}:${port}`);
  const describe = `${scheme}://${hidden}${hosts.join(",")}${cluster ? "" : `/${db}`}`;
  return { cluster, tls, nodes, db, username, password, describe };
}

function nodeParse(text: string, cluster: boolean, bad: (why: string) => Error): RedisNode {
  const shape = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(text);
  if (shape === null) throw bad(`${JSON.stringify(text)} is not HOST:PORT; ${EXPECTED}`);
  const host = shape[1] ?? shape[2]!;
  if (shape[2] !== undefined && !HOST_NAME.test(host)) {
    throw bad(`${JSON.stringify(host)} is not a host name or address`);
  }
  if (shape[3] === undefined) {
    if (cluster) throw bad(`give each cluster node's port: ${JSON.stringify(text)}`);
    return { host, port: PORT_DEFAULT };
  }
  const port = Number(shape[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw bad(`port ${shape[3]} is not in 1..65535`);
  }
  return { host, port };
}

function dbParse(path: string | undefined, cluster: boolean, bad: (why: string) => Error): number {
  if (path === undefined || path === "") return 0;
  if (cluster) throw bad("a cluster has only database 0: give no /DB");
  if (!/^\d+$/.test(path) || Number(path) > DB_MAX) {
    throw bad(`the database must be a number 0..${DB_MAX}, got ${JSON.stringify(path)}`);
  }
  return Number(path);
}

function userinfoParse(
  userinfo: string | undefined,
  bad: (why: string) => Error,
): { username: string | undefined; password: string | undefined } {
  if (userinfo === undefined) return { username: undefined, password: undefined };
  const colon = userinfo.indexOf(":");
  if (colon < 0) throw bad("credentials are USER:PASSWORD@ (or :PASSWORD@ for the default user)");
  try {
    const username = decodeURIComponent(userinfo.slice(0, colon));
    const password = decodeURIComponent(userinfo.slice(colon + 1));
    return { username: username === "" ? undefined : username, password };
  } catch {
    throw bad("bad percent-encoding in USER:PASSWORD");
  }
}
