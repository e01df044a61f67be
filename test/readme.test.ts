// The README's library examples, run as pasted: each ```js block followed by "prints" and a
// block of output is run as an ES module that imports the package by its name, and must print
// exactly that.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { REPO } from "./cli/zswap.ts";

const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
const examples = [...readme.matchAll(/```js\n([\s\S]*?)```\n\nprints\n\n```\n([\s\S]*?)```/g)];

test("the README has library examples with their output", () => {
  assert.ok(examples.length >= 2, `${examples.length} examples`);
});

for (const [i, [, code, output]] of examples.entries()) {
  test(`README example ${i + 1} prints what the README says`, () => {
    // Inside the package, so that `import ... from "zswap-ts"` resolves to it, as for a user.
    const file = path.join(REPO, "test", `.readme-example-${i + 1}.mjs`);
    fs.writeFileSync(file, code);
    try {
      const stdout = execFileSync(process.execPath, ["--import", "tsx", file], {
        cwd: REPO,
        encoding: "utf8",
      });
      assert.equal(stdout, output);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
}
