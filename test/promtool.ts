// `promtool check metrics` (Debian's prometheus package; scripts/test-deps.sh installs it) on an
// exposition: its exit code and what it printed (one line per problem, nothing when clean).

import { spawn } from "node:child_process";

/** Longest promtool may take over one exposition, in ms. */
const PROMTOOL_MS_MAX = 30_000;

export function promtoolCheck(
  exposition: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["check", "metrics"], { timeout: PROMTOOL_MS_MAX });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      output += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      output += d;
    });
    child.on("error", (error) =>
      reject(
        new Error(
          `promtool: ${error.message}; install it with \`apt-get install -y prometheus\` (npm test does)`,
        ),
      ),
    );
    child.on("close", (code) => resolve({ code, output }));
    child.stdin.end(exposition);
  });
}
