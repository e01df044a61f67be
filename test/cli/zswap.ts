// Runs the `zswap` command as a child process, as a user would.

import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ZswapOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
}

/** `zswap ...args` from the repository root, started; `exit` resolves when it exits. */
export function zswapStart(
  args: readonly string[],
  { timeoutMs = 60_000, env, stdio = ["ignore", "pipe", "pipe"] }: ZswapOptions = {},
): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: REPO,
    stdio,
    timeout: timeoutMs,
    env: env ?? process.env,
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const exit = new Promise<Exit>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, exit };
}

/** `zswap ...args` from the repository root; resolves when it exits (killed after timeoutMs). */
export function zswap(args: readonly string[], timeoutMs = 60_000): Promise<Exit> {
  return zswapStart(args, { timeoutMs }).exit;
}

/** Fails with the child's output when it did not exit 0. */
export function ok(e: Exit): Exit {
  if (e.code !== 0)
    throw new Error(`zswap exited ${e.code}\n--- stderr\n${e.stderr}\n--- stdout\n${e.stdout}`);
  return e;
}
