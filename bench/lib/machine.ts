// The machine a run measured: printed at the top of every report, since figures mean nothing
// without it. O_DIRECT is probed, not assumed: the file system of the temp folder decides.

import os from "node:os";
import { FileDevice } from "../../src/device/index.ts";

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  v8: string;
  /** O_DIRECT worked for a swap file in os.tmpdir(). */
  direct: boolean;
  /** Why O_DIRECT is not used, when it is not. */
  directWhyNot: string | undefined;
}

async function directProbe(): Promise<string | undefined> {
  try {
    const device = await FileDevice.open({ slots: 1, direct: true });
    await device.close();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function machineDescribe(): Promise<Machine> {
  const cpus = os.cpus();
  const whyNot = await directProbe();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown CPU",
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    direct: whyNot === undefined,
    directWhyNot: whyNot,
  };
}

export function machineLine(m: Machine): string {
  const gib = (m.memoryBytes / 2 ** 30).toFixed(1);
  const direct = m.direct
    ? `O_DIRECT used for the bypassed file device (${os.tmpdir()})`
    : `O_DIRECT not available (${m.directWhyNot})`;
  return `${m.cpuModel}, ${m.cores} cores, ${gib} GiB RAM; ${m.os}; Node ${m.node} (V8 ${m.v8}); ${direct}`;
}
