// CommonJS: Node 20.19+ and 22.12+ load an ES module from require(); older Node throws
// ERR_REQUIRE_ESM, and `await import("zswap-ts")` is the way there. Prints what happened.
const supported = process.features.require_module === true;
let zswap;
try {
  zswap = require("zswap-ts");
} catch (err) {
  if (supported || err.code !== "ERR_REQUIRE_ESM") throw err;
  console.log(`ERR_REQUIRE_ESM: ${err.message.split("\n")[0]}`);
  process.exit(0);
}
const { PAGE_SIZE, Zswap } = zswap;
const z = new Zswap({ maxPoolBytes: 64 * PAGE_SIZE });
z.swapon(0, 16);
const page = new Uint8Array(PAGE_SIZE).fill(7, 100, 200);
const into = new Uint8Array(PAGE_SIZE);
const same = z.store(0, 3, page) && z.load(0, 3, into) && Buffer.from(into).equals(page);
z.swapoff(0);
console.log(same ? "required: a page stored and loaded" : "required, but the page came back wrong");
