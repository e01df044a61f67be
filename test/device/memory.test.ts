import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { PAGE_SIZE } from "../../src/constants.ts";
import { MemoryDevice } from "../../src/device/index.ts";
import { ZswapArgumentError, ZswapStateError } from "../../src/errors.ts";
import { pageMake, rejectsWith, roundTripCheck, slot } from "./helpers.ts";

test("MemoryDevice: pages read back; unwritten slots are zeros", async () => {
  const device = new MemoryDevice({ slots: 200 });
  assert.match(device.describe, /^memory \(200 slots/);
  const written = new Map<number, Uint8Array>();
  await roundTripCheck(device, 80, 1, written);
  await roundTripCheck(device, 30, 2, written);
  await device.close();
});

test("MemoryDevice agrees with a Map model on any sequence of writes and reads", async () => {
  const op = fc.record({ write: fc.boolean(), slot: fc.nat(15), seed: fc.nat(1000) });
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
      const device = new MemoryDevice({ slots: 16 });
      const model = new Map<number, Uint8Array>();
      const into = new Uint8Array(PAGE_SIZE);
      for (const { write, slot: target, seed } of ops) {
        if (write) {
          const page = pageMake(seed);
          await device.write(slot(target), page);
          model.set(target, page);
        } else {
          await device.read(slot(target), into);
          assert.deepEqual(into, model.get(target) ?? new Uint8Array(PAGE_SIZE));
        }
      }
      await device.close();
    }),
    { numRuns: 100 },
  );
});

test("MemoryDevice: a write copies at call time, a read copies after the call; both settle later", async () => {
  const device = new MemoryDevice({ slots: 2 });
  const page = pageMake(4);
  let settled = false;
  const writing = device.write(slot(1), page).then(() => {
    settled = true;
  });
  assert.equal(settled, false, "a write does not settle synchronously");
  page.fill(0); // the device already holds its own copy
  await writing;
  const into = new Uint8Array(PAGE_SIZE).fill(0xee);
  const reading = device.read(slot(1), into);
  assert.ok(
    into.every((byte) => byte === 0xee),
    "nothing is read during the call",
  );
  await reading;
  assert.deepEqual(into, pageMake(4));
  await device.close();
});

test("MemoryDevice: bad slot, bad page, bad options and use after close are typed errors", async () => {
  assert.throws(() => new MemoryDevice({ slots: 0 }), { code: "ZSWAP_E_OPTION" });
  assert.throws(() => new MemoryDevice({ slots: -3 }), { code: "ZSWAP_E_OPTION" });
  assert.throws(() => new MemoryDevice({ slots: 4, slot: 8 } as never), /unknown option "slot"/);
  const device = new MemoryDevice({ slots: 4 });
  for (const bad of [-1, 4, 0.5]) {
    await rejectsWith(device.write(slot(bad), pageMake(1)), ZswapArgumentError, "ZSWAP_E_OFFSET");
    await rejectsWith(
      device.read(slot(bad), new Uint8Array(PAGE_SIZE)),
      ZswapArgumentError,
      "ZSWAP_E_OFFSET",
    );
  }
  const short = new Uint8Array(100).fill(3);
  await rejectsWith(device.write(slot(0), short), ZswapArgumentError, "ZSWAP_E_PAGE_SIZE");
  await rejectsWith(device.read(slot(0), short), ZswapArgumentError, "ZSWAP_E_PAGE_SIZE");
  const into = new Uint8Array(PAGE_SIZE).fill(1);
  await device.read(slot(0), into);
  assert.ok(
    into.every((byte) => byte === 0),
    "the refused write wrote nothing",
  );
  const pending = device.write(slot(2), pageMake(2));
  const closed = device.close();
  await rejectsWith(device.read(slot(2), into), ZswapStateError, "ZSWAP_E_CLOSED");
  await rejectsWith(device.write(slot(2), into), ZswapStateError, "ZSWAP_E_CLOSED");
  await pending;
  await closed;
  await device.close();
});
