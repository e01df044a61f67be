// A small HTTP server for our own pages and metrics: GET (and HEAD) of fixed paths, on loopback
// unless told otherwise, with its connections and requests bounded (src/constants.ts). close()
// ends every connection, open event streams included, and resolves once the port is free.

import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HTTP_CONNECTIONS_MAX, HTTP_REQUEST_TIMEOUT_MS } from "./constants.ts";
import { ioErrorFrom, ZswapOptionError } from "./errors.ts";

/** Answers a GET of its path; the request's body, if any, is not read. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpServerOptions {
  /** TCP port; 0 (the default) lets the system pick a free one, then read `port`. */
  port?: number;
  /** Address to listen on (default 127.0.0.1: this machine only). */
  host?: string;
}

export interface HttpServer {
  /** `http://host:port` with the port bound, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and ends every connection; resolves once all are closed. Idempotent. */
  close(): Promise<void>;
}

/** Plain text with its status. */
export function httpText(
  res: ServerResponse,
  status: number,
  text: string,
  type = "text/plain",
): void {
  res.writeHead(status, {
    "content-type": `${type}; charset=utf-8`,
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

function portCheck(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ZswapOptionError(`port must be an integer in 0..65535, got ${port}`);
  }
}

/** Listens with `routes` (path -> handler); a failure to listen is ZSWAP_E_IO naming the address. */
export async function httpServe(
  routes: Readonly<Record<string, HttpRoute>>,
  { port = 0, host = "127.0.0.1" }: HttpServerOptions = {},
): Promise<HttpServer> {
  portCheck(port);
  const server = http.createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      httpText(res, 405, "only GET and HEAD\n");
    } else if (route === undefined) httpText(res, 404, `no page at ${path}\n`);
    else route(req, res);
  });
  server.maxConnections = HTTP_CONNECTIONS_MAX;
  server.headersTimeout = HTTP_REQUEST_TIMEOUT_MS;
  server.requestTimeout = HTTP_REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(ioErrorFrom(error, `cannot listen on ${host}:${port}`)));
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  const name = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${name}:${bound}`,
    port: bound,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
