// Sizes on the command line: `64MiB`, `2GiB`, `512KiB`, `4096B`, `8192p` (pages), `25%`.

import { PAGE_SIZE } from "../constants.ts";
import { ZswapArgumentError } from "../errors.ts";

const UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  p: PAGE_SIZE,
  pages: PAGE_SIZE,
};

/**
 * Parses a size into bytes; a percentage is taken of `whole` bytes. A bare number is refused:
 * pages or bytes, the unit must say which.
 */
export function sizeParse(flag: string, text: string, whole?: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z%]*)\s*$/.exec(text);
  const unit = m?.[2].toLowerCase() ?? "";
  let bytes: number | undefined;
  if (m !== null && unit === "%" && whole !== undefined) bytes = (Number(m[1]) / 100) * whole;
  else if (m !== null && unit in UNITS) bytes = Number(m[1]) * UNITS[unit];
  if (bytes === undefined || !Number.isFinite(bytes)) {
    const percent = whole === undefined ? "" : ", 25%";
    throw new ZswapArgumentError(
      "ZSWAP_E_OPTION",
      `--${flag} ${JSON.stringify(text)}: give a size with a unit, e.g. 64MiB, 8192p${percent}`,
    );
  }
  return Math.floor(bytes);
}

/** A duration: `30s`, `500ms`, `2m`. */
export function durationParse(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$/.exec(text);
  if (m === null) {
    throw new ZswapArgumentError(
      "ZSWAP_E_OPTION",
      `--${flag} ${JSON.stringify(text)}: give a duration, e.g. 30s, 500ms, 2m`,
    );
  }
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"];
}

export function bytesFormat(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}
