// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time,
// and the most total time, each with its share of all samples. For the "what the profile shows"
// lines of BENCHMARKS.md.
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --expose-gc --import tsx bench/main.ts --only zswap
//   npx tsx bench/tools/cpuprofile-top.ts /tmp/prof/*.cpuprofile [rows]
//   npx tsx bench/tools/cpuprofile-top.ts --under store /tmp/prof/X.cpuprofile
//     (where the time under every frame named `store` goes: self, or each direct callee)

import fs from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function frameName(n: ProfileNode): string {
  const f = n.callFrame;
  const where = f.url === "" ? "" : ` ${path.basename(f.url)}:${f.lineNumber + 1}`;
  return `${f.functionName || "(anonymous)"}${where}`;
}

/** Time of samples under a frame named `under`, split by that frame's direct callee (or self). */
function breakdown(profile: Profile, under: string, rows: number): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const parts = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    let child: number | undefined;
    for (let at: number | undefined = id; at !== undefined; child = at, at = parent.get(at)) {
      if (byId.get(at)!.callFrame.functionName !== under) continue;
      const name = child === undefined ? "(self)" : frameName(byId.get(child)!);
      parts.set(name, (parts.get(name) ?? 0) + dt);
      total += dt;
      return;
    }
  });
  console.log(`under ${under}: ${(total / 1000).toFixed(0)} ms`);
  for (const [name, us] of [...parts.entries()].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    console.log(
      `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    );
  }
}

function summarize(file: string, rows: number): void {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<string, number>();
  const totalUs = new Map<string, number>();
  let allUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    allUs += dt;
    const leaf = frameName(byId.get(id)!);
    selfUs.set(leaf, (selfUs.get(leaf) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at)!);
      if (seen.has(name)) continue;
      seen.add(name);
      totalUs.set(name, (totalUs.get(name) ?? 0) + dt);
    }
  });
  const top = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(
        ([name, us]) =>
          `  ${((100 * us) / allUs).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
      );
  console.log(`${file}: ${(allUs / 1e6).toFixed(1)} s sampled`);
  console.log("self time:");
  for (const l of top(selfUs)) console.log(l);
  console.log("total time:");
  for (const l of top(totalUs)) console.log(l);
}

const args = process.argv.slice(2);
const rows = /^\d+$/.test(args.at(-1) ?? "") ? Number(args.pop()) : 25;
if (args[0] === "--under") {
  const under = args[1];
  for (const file of args.slice(2)) {
    breakdown(JSON.parse(fs.readFileSync(file, "utf8")) as Profile, under, rows);
  }
} else {
  for (const file of args) summarize(file, rows);
}
