// SIGINT and SIGTERM: the first stops the run where it is (the configuration running closes its
// swap space and file, what finished is printed) and the command exits 128 + the signal's number;
// a second one exits at once. Nothing is left on disk either way: swap files are unlinked once
// open, and files being written are published only when whole.

import os from "node:os";

export type StopSignal = "SIGINT" | "SIGTERM";

/** The reason of an abort by signal. */
export class Interrupted extends Error {
  constructor(readonly signal: StopSignal) {
    super(`interrupted by ${signal}`);
    this.name = "Interrupted";
  }

  /** The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
  static exitCode(signal: string): number {
    return 128 + (os.constants.signals[signal as StopSignal] ?? 0);
  }
}

/** An AbortSignal that SIGINT and SIGTERM abort with an Interrupted reason. */
export function signalsAbort(): AbortSignal {
  const controller = new AbortController();
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    process.on(name, () => {
      if (controller.signal.aborted) process.exit(Interrupted.exitCode(name));
      controller.abort(new Interrupted(name));
    });
  }
  return controller.signal;
}
