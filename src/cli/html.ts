// The --html report (placeholder until the charting report lands).

import fs from "node:fs";
import type { RunReport } from "./run.ts";

export function reportHtmlWrite(path: string, report: RunReport): void {
  fs.writeFileSync(path, `<!doctype html><pre>${JSON.stringify(report, null, 2)}</pre>`);
}
