// Runs a measurement in a process of its own, so that its memory figures are its own: the
// child gets the parent's Node flags (--import tsx, --expose-gc) and a spec as JSON in argv[2],
// answers with one IPC message, and reads the parent's corpus from a page file, not capturing
// its own memory.

import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Runs `script` (a path or file URL) with `spec`; resolves its one message. */
export function childRun<R>(script: string | URL, spec: unknown): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [JSON.stringify(spec)], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let result: R | undefined;
    child.on("message", (m) => {
      result = m as R;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`${String(script)} exited with ${code}`));
    });
  });
}

/**
 * Writes up to `count` pages sampled evenly from `pages` to a new page file; calls `use` with its
 * path and the number written, and removes it after.
 */
export async function withCorpusFile<T>(
  pages: readonly Uint8Array[],
  count: number,
  use: (file: string, written: number) => Promise<T>,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-bench-"));
  const file = path.join(dir, "corpus.pages");
  const step = Math.max(1, Math.floor(pages.length / count));
  const fd = fs.openSync(file, "w");
  let written = 0;
  for (let i = 0; i < pages.length && written < count; i += step, written++) {
    fs.writeSync(fd, pages[i]);
  }
  fs.closeSync(fd);
  try {
    return await use(file, written);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
