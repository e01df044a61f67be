// Values on the command line: sizes (`64MiB`, `2GiB`, `1TiB`, `4096B`, `8192p` pages, `25%`),
// durations (`30s`), numbers. Each is checked whole: an empty or partial value is refused.

import { PAGE_SIZE } from "../constants.ts";
import { ZswapOptionError } from "../errors.ts";
import type { SizeAsked } from "../workload/plan.ts";

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
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
  p: PAGE_SIZE,
  pages: PAGE_SIZE,
};

/**
 * Parses a size: bytes, or with `percent`, a share of a whole known later. A bare number is
 * refused: pages or bytes, the unit must say which.
 */
export function sizeParse(flag: string, text: string, percent: boolean): SizeAsked {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z%]*)\s*$/.exec(text);
  const unit = m?.[2].toLowerCase() ?? "";
  if (m !== null && unit === "%" && percent && Number(m[1]) <= 100)
    return { percent: Number(m[1]) };
  const bytes =
    m !== null && Object.hasOwn(UNITS, unit) ? Math.floor(Number(m[1]) * UNITS[unit]) : Number.NaN;
  if (!Number.isSafeInteger(bytes)) {
    throw new ZswapOptionError(
      `--${flag} ${JSON.stringify(text)}: give a size with a unit, e.g. 64MiB, 8192p${percent ? ", 25%" : ""}`,
    );
  }
  return { bytes };
}

/** A number in [min, max] (an integer when `integer`), written in full. */
export function numberParse(
  flag: string,
  text: string,
  min: number,
  max: number,
  integer = false,
): number {
  const n = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= min && n <= max) || (integer && !Number.isInteger(n))) {
    const kind = integer ? "an integer" : "a number";
    throw new ZswapOptionError(
      `--${flag} must be ${kind} in ${min}..${max}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/** A duration in ms, more than 0 and at most a day: `30s`, `500ms`, `2m`, `1h`. */
export function durationParse(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  const ms =
    m === null
      ? Number.NaN
      : Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms"];
  if (!(ms > 0 && ms <= 86_400_000)) {
    throw new ZswapOptionError(
      `--${flag} ${JSON.stringify(text)}: give a duration of at most a day, e.g. 30s, 500ms, 2m`,
    );
  }
  return ms;
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
