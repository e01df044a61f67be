// A watchdog for code that could hang synchronously (an infinite loop blocks the thread's own
// timers): the scenario runs in a worker thread, and the test fails if the worker does not answer
// within a generous bound. A bound on hanging, not a speed check.

import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

type Scenarios = Record<string, () => Promise<void>>;

/** Runs scenario `name` of the test module at `url` in a worker; fails if it throws or takes `ms`. */
export function inWorker(url: string, name: string, ms: number): Promise<void> {
  const code =
    `const { workerData } = require("node:worker_threads");` +
    `import(workerData.tsx).then((m) => { m.register(); return import(workerData.url); });`;
  const tsx = import.meta.resolve("tsx/esm/api");
  const w = new Worker(code, { eval: true, workerData: { tsx, url, scenario: name } });
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void w.terminate();
      reject(new Error(`${name} did not finish in ${ms} ms: an infinite loop?`));
    }, ms);
    w.on("message", (m: { ok: boolean; error?: string }) => {
      clearTimeout(timer);
      void w.terminate();
      if (m.ok) resolve();
      else reject(new Error(`${name}: ${m.error}`));
    });
    w.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** True in the main thread (declare the tests); in a worker, runs its scenario and reports. */
export async function isTestThread(scenarios: Scenarios): Promise<boolean> {
  if (isMainThread) return true;
  const name = (workerData as { scenario?: string }).scenario;
  if (name === undefined) return false;
  try {
    await scenarios[name]!();
    parentPort!.postMessage({ ok: true });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).stack ?? String(err) });
  }
  return false;
}
