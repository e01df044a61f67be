// The README's library examples, run as pasted: each ```js block followed by "prints" and a
// block of output is run as an ES module that imports the package by its name, and must print
// exactly that. The Redis example runs against a redis-server started for it on loopback.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { REPO } from "./cli/zswap.ts";
import { RedisServer, redisInstalled } from "./redis-server.ts";

const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
const examples = [...readme.matchAll(/```js\n([\s\S]*?)```\n\nprints\n\n```\n([\s\S]*?)```/g)];

test("the README has library examples with their output", () => {
  assert.ok(examples.length >= 2, `${examples.length} examples`);
});

/** The address the README's Redis example names; the test runs it against a server of its own. */
const README_REDIS = "redis://127.0.0.1:6379";

for (const [i, [, code, output]] of examples.entries()) {
  const redis = code.includes(README_REDIS);
  const skip = redis && !(await redisInstalled()) ? "redis-server is not installed" : false;
  test(`README example ${i + 1} prints what the README says`, { skip }, async () => {
    const server = redis ? await RedisServer.start() : undefined;
    // Inside the package, so that `import ... from "zswap-ts"` resolves to it, as for a user.
    const file = path.join(REPO, "test", `.readme-example-${i + 1}.mjs`);
    fs.writeFileSync(file, server === undefined ? code : code.replace(README_REDIS, server.url));
    try {
      const stdout = execFileSync(process.execPath, ["--import", "tsx", file], {
        cwd: REPO,
        encoding: "utf8",
      });
      assert.equal(stdout, output);
      if (server !== undefined) assert.equal((await server.cli("DBSIZE")).trim(), "0");
    } finally {
      fs.rmSync(file, { force: true });
      await server?.stop();
    }
  });
}
