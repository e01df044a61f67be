// `zswap run`'s argument parser, in process: every bad flag is a typed error in the user's terms,
// and 10,000 random command lines each end in arguments or a typed error, never an untyped throw
// and never a hang (the property runs in a worker under a generous watchdog).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type RunArgs, runArgsParse } from "../../src/cli/run.ts";
import { ZswapArgumentError, ZswapError } from "../../src/errors.ts";
import { inWorker, isTestThread } from "../watchdog.ts";

const FLAGS = [
  "workload",
  "trace",
  "trace-format",
  "pages-from",
  "working-set",
  "resident",
  "pool",
  "compressor",
  "configs",
  "accesses",
  "duration",
  "write-ratio",
  "zipf-skew",
  "policy",
  "seed",
  "runs",
  "warmup",
  "vary-seed",
  "threads",
  "swapfile",
  "swapfile-reuse",
  "page-cache",
  "device-latency",
  "device",
  "tier-file",
  "json",
  "html",
  "serve",
  "help",
];

const VALUES = [
  ...["", " ", "0", "-1", "1", "2", "1e309", "NaN", "Infinity", "-0", "0x10", "1.5", ".5"],
  ...["12.5%", "150%", "0%", "8192p", "1p", "1TiB", "64MiB", "1024GiB", "4096B", "3 kb"],
  ...["lz4", "zstd", "snappy", "zipf", "shift", "scan", "loop", "clock", "lru2", "nvme", "hdd"],
  ...["disk,best", "disk,,best", "disk,disk", "best", "\0", "self", "generated", "a.trace"],
  ...["writeback-adaptive", "writeback,writeback-adaptive", "writeback-adaptive,", "dip"],
  ...["1h", "0s", "25h", "500ms", "9007199254740993", "4294967296", "lackey", "text", "101"],
  ...["file", "redis://127.0.0.1:1", "redis-cluster://a:1,b:2", "rediss://u:p@h/3", "redis://"],
];

const token = fc.oneof(
  fc.constantFrom(...FLAGS.map((f) => `--${f}`)),
  fc.constantFrom(...VALUES),
  fc.tuple(fc.constantFrom(...FLAGS), fc.constantFrom(...VALUES)).map(([f, v]) => `--${f}=${v}`),
  fc.string({ maxLength: 12 }),
  fc.double().map(String),
  fc.constantFrom("-h", "-x", "--", "-", "--=", "---workload"),
);

function parses(argv: string[]): RunArgs {
  const args = runArgsParse(argv);
  assert.notEqual(args, "help");
  return args as RunArgs;
}

function refused(argv: string[], message: RegExp): void {
  assert.throws(
    () => runArgsParse(argv),
    (err: unknown) => {
      assert.ok(err instanceof ZswapArgumentError, `${argv.join(" ")}: ${String(err)}`);
      assert.match(err.message, message);
      return true;
    },
    argv.join(" "),
  );
}

const scenarios = {
  async fuzz() {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }), (argv) => {
        try {
          runArgsParse(argv);
        } catch (err) {
          if (!(err instanceof ZswapError)) throw err;
        }
      }),
      { numRuns: 10_000, seed: 8 },
    );
  },
};

if (await isTestThread(scenarios)) {
  describe("zswap run's flags", () => {
    test("defaults: shift over 8192 pages, 150000 accesses, lz4, every configuration", () => {
      const { request, json, html } = parses([]);
      assert.deepEqual(request.workload, {
        kind: "pattern",
        name: "shift",
        pages: 8192,
        accesses: 150_000,
        writeRatio: 0.3,
        zipfSkew: 1,
      });
      assert.equal(request.resident, undefined); // the plan's default: 12.5%, at least one frame
      assert.equal(request.pool, undefined);
      assert.equal(request.compressor, "lz4");
      assert.deepEqual(request.configs, [
        "disk",
        "zswap",
        "writeback",
        "writeback-adaptive",
        "best",
      ]);
      assert.equal(request.seed, 1);
      assert.deepEqual([request.runs, request.warmup, request.varySeed], [1, 0, false]);
      assert.equal(request.threads, 0, "no codec threads unless asked");
      assert.equal(parses(["--threads", "2"]).request.threads, 2);
      assert.equal(json, false);
      assert.equal(html, undefined);
      assert.equal(request.redis, undefined, "the device is a swap file");
    });

    test("--device takes a Redis URL, checked and described without its password", () => {
      assert.equal(parses(["--device", "file"]).request.redis, undefined);
      const url = "rediss://swapper:s3cret@cache:6390/2";
      assert.deepEqual(parses(["--device", url]).request.redis, {
        url,
        describe: "rediss://swapper:***@cache:6390/2",
        tierFile: undefined,
      });
      const cluster = parses(["--device", "redis-cluster://a:1,b:2"]).request.redis;
      assert.equal(cluster?.describe, "redis-cluster://a:1,b:2");
      const tiered = ["--device", "redis://h:1", "--tier-file", "10%", "--page-cache"];
      assert.deepEqual(parses(tiered).request.redis?.tierFile, { percent: 10 });
      assert.equal(parses(tiered).request.pageCache, true, "the file tier may use the page cache");
    });

    test("sizes take every unit up to TiB, and pages", () => {
      assert.deepEqual(parses(["--pool", "1TiB"]).request.pool, { bytes: 2 ** 40 });
      assert.deepEqual(parses(["--pool", "2T"]).request.pool, { bytes: 2 ** 41 });
      assert.deepEqual(parses(["--pool", "1TB"]).request.pool, { bytes: 1e12 });
      assert.deepEqual(parses(["--resident", "100p"]).request.resident, { bytes: 409_600 });
      const ws = parses(["--working-set", "16MiB"]).request.workload;
      assert.equal(ws.kind === "pattern" && ws.pages, 4096);
    });

    test("--serve takes an optional port: alone, or before another flag, any free one", () => {
      assert.equal(parses([]).serve, undefined);
      assert.equal(parses(["--serve"]).serve, 0);
      assert.equal(parses(["--serve", "8080"]).serve, 8080);
      assert.equal(parses(["--serve=9464", "--json"]).serve, 9464);
      const args = parses(["--serve", "--json"]);
      assert.deepEqual([args.serve, args.json], [0, true]);
    });

    const bad: [string, string[], RegExp][] = [
      ["an unknown flag", ["--bogus"], /Unknown option '--bogus'/],
      ["a stray argument", ["zipf"], /Unexpected argument 'zipf'/],
      ["a flag without its value", ["--pool"], /--pool/],
      ["an empty number", ["--write-ratio="], /--write-ratio must be a number in 0..1, got ""/],
      ["an empty size", ["--pool="], /--pool "": give a size with a unit/],
      ["a ratio out of range", ["--write-ratio", "1.5"], /--write-ratio must be a number in 0..1/],
      ["hex for a count", ["--accesses", "0x10"], /--accesses must be an integer/],
      ["a fractional count", ["--accesses", "1.5"], /--accesses must be an integer/],
      [
        "a seed past 32 bits",
        ["--seed", "4294967296"],
        /--seed must be an integer in 0..4294967295/,
      ],
      ["a bare number size", ["--pool", "100"], /--pool "100": give a size with a unit/],
      ["a percent over 100", ["--resident", "150%"], /--resident "150%": give a size/],
      ["a percent working set", ["--working-set", "50%"], /--working-set "50%": give a size/],
      [
        "a huge working set",
        ["--working-set", "1024GiB"],
        /--working-set must be 2..4194304 pages/,
      ],
      ["a one-page working set", ["--working-set", "1p"], /--working-set must be 2..4194304 pages/],
      [
        "an unknown workload",
        ["--workload", "random"],
        /--workload must be one of shift, zipf, scan/,
      ],
      ["an unknown configuration", ["--configs", "disk,fast"], /--configs must be one of/],
      ["an empty configuration", ["--configs", "disk,"], /--configs must be one of .*got ""/],
      ["a configuration twice", ["--configs", "disk,disk"], /--configs names one twice/],
      ["an unknown compressor", ["--compressor", "snappy"], /unknown compressor "snappy"/],
      ["an unknown policy", ["--policy", "lru"], /--policy must be one of clock, lru2/],
      [
        "a latency past a second",
        ["--device-latency", "2000000"],
        /--device-latency must be a number in 0..1000000/,
      ],
      ["an unknown latency", ["--device-latency", "tape"], /--device-latency must be a number/],
      ["a zero duration", ["--duration", "0s"], /--duration "0s": give a duration/],
      ["a duration past a day", ["--duration", "25h"], /--duration "25h": give a duration/],
      [
        "zipf's skew for shift",
        ["--zipf-skew", "2"],
        /--zipf-skew applies to --workload zipf only/,
      ],
      [
        "a trace format without a trace",
        ["--trace-format", "text"],
        /--trace-format needs --trace/,
      ],
      [
        "--accesses with --trace",
        ["--trace", "t", "--accesses", "5"],
        /--accesses does not apply with --trace/,
      ],
      [
        "--working-set with --trace",
        ["--trace", "t", "--working-set", "8p"],
        /--working-set does not apply/,
      ],
      [
        "an unknown trace format",
        ["--trace", "t", "--trace-format", "csv"],
        /--trace-format must be one of lackey, text/,
      ],
      ["reuse without a swap file", ["--swapfile-reuse"], /--swapfile-reuse needs --swapfile/],
      ["an unknown device", ["--device", "disk"], /--device must be file, memory, or a redis:\/\//],
      ["a Redis port out of range", ["--device", "redis://h:70000"], /--device .*port 70000/],
      [
        "a database on a cluster",
        ["--device", "redis-cluster://h:1/1"],
        /a cluster has only database 0/,
      ],
      [
        "a swap file with Redis",
        ["--device", "redis://h:1", "--swapfile", "x"],
        /--swapfile applies to the file device only/,
      ],
      [
        "--page-cache with Redis alone",
        ["--device", "redis://h:1", "--page-cache"],
        /--page-cache applies to a swap file only/,
      ],
      [
        "a file tier without Redis",
        ["--tier-file", "10%"],
        /--tier-file puts a file in front of a Redis --device/,
      ],
      [
        "a file tier without a unit",
        ["--device", "redis://h:1", "--tier-file", "100"],
        /--tier-file "100": give a size with a unit/,
      ],
      ["a port past 65535", ["--serve", "70000"], /--serve must be an integer in 0..65535/],
      ["a port that is not a number", ["--serve=http"], /--serve must be an integer/],
      ["no runs", ["--runs", "0"], /--runs must be an integer in 1..100, got "0"/],
      ["too many runs", ["--runs", "101"], /--runs must be an integer in 1..100/],
      ["a negative warmup", ["--warmup=-1"], /--warmup must be an integer in 0..100/],
      ["a fractional warmup", ["--warmup", "1.5"], /--warmup must be an integer/],
      ["an empty swap file name", ["--swapfile", ""], /--swapfile needs a file name/],
      ["an empty report name", ["--html="], /--html needs a file name/],
      [
        "a negative number as a flag's next argument",
        ["--accesses", "-5"],
        /--accesses needs a value, and "-5" reads as a flag: write --accesses=-5/,
      ],
      [
        "a flag without its value",
        ["--accesses", "--seed", "1"],
        /--accesses needs a value before --seed$/,
      ],
      ["a flag given twice", ["--accesses", "10", "--accesses=20"], /--accesses is given twice/],
      ["--serve given twice", ["--serve", "--serve", "8080"], /--serve is given twice/],
    ];
    for (const [what, argv, message] of bad) test(`refused: ${what}`, () => refused(argv, message));

    test("10,000 random command lines: arguments or a typed error, never a throw or a hang", () =>
      inWorker(import.meta.url, "fuzz", 120_000));
  });
}
