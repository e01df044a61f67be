// The report: Markdown that reads well in a terminal and pastes into BENCHMARKS.md as it is.
// Every line goes to stdout as soon as it is known, so a long run shows its progress.

export type Cell = string | number;

/** Writes one line of the report. */
export function line(text = ""): void {
  process.stdout.write(`${text}\n`);
}

export function heading(text: string, level = 2): void {
  line();
  line(`${"#".repeat(level)} ${text}`);
  line();
}

/** A note under a table or heading: one paragraph, wrapped by the reader. */
export function note(text: string): void {
  line(text);
  line();
}

/**
 * A pipe table with aligned columns: numbers (and cells that look like them) right-aligned,
 * text left-aligned.
 */
export function table(columns: readonly string[], rows: readonly (readonly Cell[])[]): void {
  const text = rows.map((r) => r.map((c) => (typeof c === "number" ? num(c) : c)));
  // Right-align a column whose every cell is a number, optionally with a short unit or margin.
  const numeric = /^(—|[-+]?[\d,]*\.?\d+(e[-+]?\d+)?( ?(%|B|KiB|MiB|GiB|µs|ms|s|±\d+%))*)$/;
  const right = columns.map((_, i) => text.every((r) => r[i] === undefined || numeric.test(r[i])));
  const width = columns.map((c, i) => Math.max(c.length, ...text.map((r) => (r[i] ?? "").length)));
  const pad = (s: string, i: number) => (right[i] ? s.padStart(width[i]) : s.padEnd(width[i]));
  line(`| ${columns.map(pad).join(" | ")} |`);
  line(
    `| ${width.map((w, i) => (right[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`,
  );
  for (const r of text) line(`| ${columns.map((_, i) => pad(r[i] ?? "", i)).join(" | ")} |`);
  line();
}

// --- number formats ---

/** An integer with thousands separators, or a number with up to 3 significant decimals. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) || Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US");
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** A ratio such as 0.93 (two decimals: targets are stated that way; see ratioNearTarget). */
export function ratio(n: number): string {
  if (!Number.isFinite(n)) return "—";
  return n !== 0 && Math.abs(n) < 0.1 ? n.toPrecision(2) : n.toFixed(2);
}

/** Pages (or operations) per second, rounded to the thousand above 100k. */
export function rate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "—";
  if (perSecond >= 100_000) return (Math.round(perSecond / 1000) * 1000).toLocaleString("en-US");
  return Math.round(perSecond).toLocaleString("en-US");
}

/**
 * A ratio compared with a target: two decimals, or three when two would round a miss up to the
 * target (0.896 against 0.90) or a pass down below it.
 */
export function ratioNearTarget(n: number, target: number): string {
  const two = Number(n.toFixed(2));
  return n >= target === two >= target ? n.toFixed(2) : n.toFixed(3);
}

export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function percent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** "met" or "missed by X" against a floor (higher is better) or a ceiling (lower is better). */
export function verdict(value: number, target: number, kind: "floor" | "ceiling"): string {
  const ok = kind === "floor" ? value >= target : value <= target;
  if (ok) return "met";
  const by = kind === "floor" ? target - value : value - target;
  const amount = by < 0.01 ? by.toFixed(3) : by < 1 ? by.toFixed(2) : num(by);
  return `missed by ${amount} (${percent(by / target, 1)})`;
}
