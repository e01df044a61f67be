// Page traces of real programs for the policy benchmark, recorded at run time (they are too large
// to keep): small C programs of our own (a sort, a shuffle) and the C compiler proper, each run
// under valgrind's lackey. Lackey's log goes through a pipe to zswap's own lackey reader, which
// reduces it to page accesses exactly as `zswap run --trace` reads a lackey file (data accesses by
// page, renumbered, back-to-back accesses to one page merged), and those are written as a text
// trace: the same accesses in a file a hundred times smaller.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { traceParse } from "../../src/workload/trace.ts";

/** Sorts 16384 records of 16 bytes (256 KiB) by key with the C library's qsort. */
const SORT = `
#include <stdio.h>
#include <stdlib.h>
#define N 16384
struct rec { unsigned long key, value; };
static int cmp(const void *a, const void *b) {
  unsigned long x = ((const struct rec *)a)->key, y = ((const struct rec *)b)->key;
  return x < y ? -1 : x > y;
}
int main(void) {
  struct rec *r = malloc(sizeof *r * N);
  unsigned long s = 88172645463325252UL, sum = 0;
  if (r == NULL) return 1;
  for (unsigned long i = 0; i < N; i++) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    r[i].key = s; r[i].value = i;
  }
  qsort(r, N, sizeof *r, cmp);
  for (unsigned long i = 0; i < N; i++) sum += r[i].value * (i + 1);
  printf("%lu\\n", sum);
  free(r);
  return 0;
}
`;

/** Fills 262144 ints (1 MiB), shuffles them (Fisher-Yates, xorshift64), then sums them in order. */
const SHUFFLE = `
#include <stdio.h>
#include <stdlib.h>
#define N 262144
int main(void) {
  unsigned *a = malloc(sizeof *a * N);
  unsigned long s = 2463534242UL, sum = 0;
  if (a == NULL) return 1;
  for (unsigned i = 0; i < N; i++) a[i] = i;
  for (unsigned i = N - 1; i > 0; i--) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    unsigned j = (unsigned)(s % (i + 1)), t = a[i];
    a[i] = a[j]; a[j] = t;
  }
  for (unsigned i = 0; i < N; i++) sum += (unsigned long)a[i] * (i + 1);
  printf("%lu\\n", sum);
  free(a);
  return 0;
}
`;

/**
 * What the compiler compiles: a small program of its own (a binary tree), declaring the few
 * library functions it calls rather than including headers, so that the run is the compiler's
 * own work and not the parsing of stdio.h (already 50 million page accesses at -O2).
 */
const COMPILED = `
#define NULL ((void *)0)
void *calloc(unsigned long n, unsigned long size);
char *strncpy(char *dst, const char *src, unsigned long n);
int atoi(const char *s);
int printf(const char *format, ...);
struct node { struct node *left, *right; int key; char name[24]; };
static struct node *insert(struct node *t, int key, const char *name) {
  if (t == NULL) {
    t = calloc(1, sizeof *t);
    t->key = key;
    strncpy(t->name, name, sizeof t->name - 1);
  } else if (key < t->key) t->left = insert(t->left, key, name);
  else t->right = insert(t->right, key, name);
  return t;
}
static int depth(const struct node *t) {
  if (t == NULL) return 0;
  int l = depth(t->left), r = depth(t->right);
  return 1 + (l > r ? l : r);
}
int main(int argc, char **argv) {
  struct node *root = NULL;
  for (int i = 1; i < argc; i++) root = insert(root, atoi(argv[i]), argv[i]);
  printf("%d\\n", depth(root));
  return 0;
}
`;

export interface RecordedTrace {
  name: string;
  /** What ran, for the report. */
  command: string;
  path: string;
}

/** Runs `argv` under lackey and writes its page accesses to `out` as a text trace. */
async function lackeyRecord(argv: string[], out: string): Promise<void> {
  const child = spawn("valgrind", ["--tool=lackey", "--trace-mem=yes", "--log-fd=3", ...argv], {
    stdio: ["ignore", "ignore", "ignore", "pipe"],
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const lines = readline.createInterface({ input: child.stdio[3] as NodeJS.ReadableStream });
  const file = fs.createWriteStream(out);
  let chunk: string[] = [];
  for await (const a of traceParse(lines, "lackey", `lackey of ${argv[0]}`)) {
    chunk.push(`${a.write ? "W" : "R"} ${a.page.toString(16)}`);
    if (chunk.length === 65_536) {
      if (!file.write(`${chunk.join("\n")}\n`)) {
        await new Promise<void>((resolve) => file.once("drain", () => resolve()));
      }
      chunk = [];
    }
  }
  file.end(`${chunk.join("\n")}\n`);
  await new Promise<void>((resolve) => file.once("finish", () => resolve()));
  const code = await exited;
  if (code !== 0) throw new Error(`valgrind ${argv.join(" ")} exited ${code}`);
}

/** The compiler proper's command line for compiling `src`, as the driver would run it. */
function cc1Argv(src: string, dir: string): string[] {
  const out = spawnSync("cc", ["-###", "-O0", "-c", src, "-o", path.join(dir, "x.o")], {
    encoding: "utf8",
  }).stderr;
  const line = out.split("\n").find((l) => /\/cc1 /.test(l));
  if (line === undefined) throw new Error(`cc -### printed no cc1 command:\n${out}`);
  const args = [...line.trim().matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  const o = args.indexOf("-o");
  args[o + 1] = path.join(dir, "x.s");
  return args;
}

/** Compiles the programs and records the three traces in `dir`. */
export async function tracesRecord(dir: string): Promise<RecordedTrace[]> {
  for (const tool of ["valgrind", "cc"]) {
    if (spawnSync(tool, ["--version"]).error !== undefined) {
      throw new Error(
        `the policy section records its traces with ${tool}, which is not installed (Debian: ` +
          "apt-get install -y valgrind gcc; scripts/test-deps.sh does it as root)",
      );
    }
  }
  const traces: RecordedTrace[] = [];
  for (const [name, source, what] of [
    ["sort", SORT, "qsort of 16384 16-byte records (256 KiB)"],
    ["shuffle", SHUFFLE, "Fisher-Yates shuffle of 262144 ints (1 MiB), then a pass in order"],
  ] as const) {
    const src = path.join(dir, `${name}.c`);
    const prog = path.join(dir, name);
    fs.writeFileSync(src, source);
    execFileSync("cc", ["-O1", "-o", prog, src]);
    const out = path.join(dir, `${name}.trace`);
    await lackeyRecord([prog], out);
    traces.push({ name, command: what, path: out });
  }
  const src = path.join(dir, "tree.c");
  fs.writeFileSync(src, COMPILED);
  const argv = cc1Argv(src, dir);
  const out = path.join(dir, "cc1.trace");
  await lackeyRecord(argv, out);
  traces.push({
    name: "cc -c",
    command: "the C compiler proper (cc1, as `cc -O0 -c` runs it) compiling a 25-line program",
    path: out,
  });
  return traces;
}
