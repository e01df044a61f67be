import assert from "node:assert/strict";
import { test } from "node:test";
import { InFlight, IoDepth } from "../../src/device/in-flight.ts";

test("IoDepth hands out depthMax distinct tokens, then serves waiters first come, first served", async () => {
  const depth = new IoDepth(3);
  const held = await Promise.all([depth.get(), depth.get(), depth.get()]);
  assert.deepEqual([...held].sort(), [0, 1, 2]);
  const served: number[] = [];
  const waiters = Array.from({ length: 2000 }, (_, n) =>
    depth.get().then((token) => {
      served.push(n);
      return token;
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(served.length, 0, "nobody is served beyond the depth");
  const tokens: number[] = [];
  depth.put(held[1]!);
  tokens.push(await waiters[0]!);
  assert.equal(tokens[0], held[1], "the freed token goes to the oldest waiter");
  // Recycle every token until all waiters are served; at most 3 are ever out.
  for (let n = 0; n < waiters.length; n++) {
    if (n > 0) tokens.push(await waiters[n]!);
    depth.put(tokens[n]!);
  }
  assert.deepEqual(
    served,
    Array.from({ length: 2000 }, (_, n) => n),
    "FIFO order",
  );
  assert.equal(await depth.get(), held[1], "the recycled token went back to the free stack");
  const late = depth.get();
  const first = await Promise.race([late, new Promise((r) => setImmediate(() => r("waiting")))]);
  assert.equal(first, "waiting", "all three tokens are held again");
  depth.put(held[0]!);
  assert.equal(await late, held[0]);
});

test("IoDepth: a newcomer never overtakes a waiter", async () => {
  const depth = new IoDepth(1);
  const token = await depth.get();
  const order: string[] = [];
  const waiting = depth.get().then((t) => {
    order.push("waiter");
    return t;
  });
  depth.put(token);
  const newcomer = depth.get().then((t) => {
    order.push("newcomer");
    return t;
  });
  depth.put(await waiting);
  await newcomer;
  assert.deepEqual(order, ["waiter", "newcomer"]);
});

test("InFlight.drained waits for every tracked call", async () => {
  const inFlight = new InFlight();
  await inFlight.drained();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const io = inFlight.track(() => gate);
  assert.equal(inFlight.size, 1);
  let drained = false;
  const done = inFlight.drained().then(() => {
    drained = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(drained, false);
  release();
  await io;
  await done;
  assert.equal(inFlight.size, 0);
  const failing = inFlight.track(() => Promise.reject(new Error("boom")));
  await assert.rejects(failing, /boom/);
  assert.equal(inFlight.size, 0, "a rejected call is no longer in flight");
});
