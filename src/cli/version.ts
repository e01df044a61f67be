// The package's version, from its package.json (two folders up from src/cli or dist/cli).

import { readFileSync } from "node:fs";

let version: string | undefined;

/** The version of zswap-ts, e.g. "0.2.0". */
export function packageVersion(): string {
  version ??= JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"))
    .version as string;
  return version;
}
