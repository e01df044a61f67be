import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DEVICE_IO_DEPTH_MAX, PAGE_SIZE } from "../../src/constants.ts";
import { FileDevice } from "../../src/device/index.ts";
import { openError } from "../../src/device/swap-file.ts";
import { ZswapArgumentError, ZswapIOError, ZswapStateError } from "../../src/errors.ts";
import { pageMake, rejectsWith, roundTripCheck, slot, swapFileOf } from "./helpers.ts";

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "zswap-device-test-"));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Opens a direct device, or returns undefined (and skips) where O_DIRECT is unsupported here. */
async function directOpen(
  t: { skip: (message: string) => void },
  options: Parameters<typeof FileDevice.open>[0],
): Promise<FileDevice | undefined> {
  try {
    return await FileDevice.open({ ...options, direct: true });
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ZSWAP_E_OPTION") throw error;
    t.skip(`O_DIRECT is not supported here: ${(error as Error).message}`);
    return undefined;
  }
}

/** The open flags of a descriptor (`/proc/self/fd/N`), from /proc/self/fdinfo (Linux). */
async function openFlagsOf(fdPath: string): Promise<number> {
  const info = await readFile(fdPath.replace("/fd/", "/fdinfo/"), "utf8");
  const flags = /^flags:\s+([0-7]+)$/m.exec(info);
  assert.ok(flags, `${fdPath} has flags`);
  return Number.parseInt(flags[1]!, 8);
}

/** 500 writes at once, then 500 reads at once, through a device of depth 8. */
async function concurrentCheck(device: FileDevice): Promise<void> {
  const count = 500;
  const pages = Array.from({ length: count }, (_, n) => pageMake(7000 + n));
  await Promise.all(pages.map((page, n) => device.write(slot(n), page)));
  const intos = pages.map(() => new Uint8Array(PAGE_SIZE));
  await Promise.all(intos.map((into, n) => device.read(slot(n), into)));
  for (let n = 0; n < count; n++) assert.deepEqual(intos[n], pages[n], `slot ${n}`);
}

describe("FileDevice through the page cache", () => {
  test("pages written at random slots read back; unwritten slots are zeros", async () => {
    const device = await FileDevice.open({ slots: 300 });
    try {
      assert.equal(device.direct, false);
      assert.match(device.describe, /^file .*\/\(unnamed\) \(through the page cache\)$/);
      const written = new Map<number, Uint8Array>();
      await roundTripCheck(device, 120, 1, written);
      await roundTripCheck(device, 40, 2, written); // overwrites some slots with new pages
    } finally {
      await device.close();
    }
  });

  test("the file is sparse-sized to slots * PAGE_SIZE", async () => {
    const device = await FileDevice.open({ slots: 1000 });
    try {
      const info = await stat(await swapFileOf(device, tmpdir()));
      assert.equal(info.size, 1000 * PAGE_SIZE);
      assert.ok(info.blocks * 512 < 1000 * PAGE_SIZE, "sparse: not every block is allocated");
    } finally {
      await device.close();
    }
  });
});

describe("the swap file: created exclusively, never named for long, nothing else touched", () => {
  test("the default file has no name from the start, mode 0600, and is gone on close", async () => {
    const folder = await mkdtemp(join(scratch, "unnamed-"));
    const device = await FileDevice.open({ slots: 4, folder });
    const fd = await swapFileOf(device, folder);
    assert.deepEqual(await readdir(folder), [], "nothing in the folder while it is open");
    assert.equal((await stat(fd)).mode & 0o777, 0o600);
    await device.write(slot(1), pageMake(3));
    await device.close();
    assert.equal(existsSync(fd), false, "the descriptor is closed: the file is gone");
    assert.deepEqual(await readdir(folder), []);
  });

  test("a caller's new path is created 0600 and unlinked once open; the pages live in it", async () => {
    const path = join(scratch, "new.swap");
    const device = await FileDevice.open({ path, slots: 8 });
    try {
      assert.equal(existsSync(path), false, "unlinked as soon as it is open");
      const fd = await swapFileOf(device, scratch);
      assert.equal((await stat(fd)).mode & 0o777, 0o600);
      const page = pageMake(11);
      await device.write(slot(5), page);
      const bytes = await readFile(fd);
      assert.equal(bytes.length, 8 * PAGE_SIZE);
      assert.deepEqual(new Uint8Array(bytes.subarray(5 * PAGE_SIZE, 6 * PAGE_SIZE)), page);
    } finally {
      await device.close();
    }
    assert.equal(existsSync(path), false);
  });

  test("an existing file is refused and left exactly as it was", async () => {
    const path = join(scratch, "existing.swap");
    const old = new Uint8Array(3 * PAGE_SIZE).fill(0x5a);
    await writeFile(path, old, { mode: 0o644 });
    const error = await rejectsWith(
      FileDevice.open({ path, slots: 4 }),
      ZswapArgumentError,
      "ZSWAP_E_EXISTS",
    );
    assert.match(error.message, /exists; .*reuse/);
    assert.deepEqual(new Uint8Array(await readFile(path)), old);
    assert.equal((await stat(path)).mode & 0o777, 0o644);
  });

  test("with reuse, a file the user owns is used as is: mode 0600, never shortened, kept", async () => {
    const path = join(scratch, "reused.swap");
    await writeFile(path, new Uint8Array(10 * PAGE_SIZE).fill(0x5a), { mode: 0o644 });
    const device = await FileDevice.open({ path, slots: 4, reuse: true });
    assert.equal((await stat(path)).mode & 0o777, 0o600, "swapped memory is not world-readable");
    const into = new Uint8Array(PAGE_SIZE);
    await device.read(slot(3), into);
    assert.ok(into.every((byte) => byte === 0x5a));
    await device.write(slot(2), pageMake(12));
    await device.close();
    const bytes = await readFile(path);
    assert.equal(bytes.length, 10 * PAGE_SIZE, "kept, and never shortened");
    assert.deepEqual(new Uint8Array(bytes.subarray(2 * PAGE_SIZE, 3 * PAGE_SIZE)), pageMake(12));
  });

  test("a symlink is never followed, to a file or to nowhere, reuse or not", async () => {
    const target = join(scratch, "target");
    await writeFile(target, "the user's file");
    const link = join(scratch, "link.swap");
    await symlink(target, link);
    await rejectsWith(
      FileDevice.open({ path: link, slots: 4 }),
      ZswapArgumentError,
      "ZSWAP_E_EXISTS",
    );
    const reused = FileDevice.open({ path: link, slots: 4, reuse: true });
    assert.match(
      (await rejectsWith(reused, ZswapArgumentError, "ZSWAP_E_OPTION")).message,
      /symbolic link/,
    );
    assert.equal(await readFile(target, "utf8"), "the user's file");
    const dangling = join(scratch, "dangling.swap");
    const nowhere = join(scratch, "nowhere");
    await symlink(nowhere, dangling);
    await rejectsWith(
      FileDevice.open({ path: dangling, slots: 4 }),
      ZswapArgumentError,
      "ZSWAP_E_EXISTS",
    );
    assert.equal(existsSync(nowhere), false, "the link's target was not created");
  });

  test("reuse takes only a regular file this user owns", async (t) => {
    const folder = await mkdtemp(join(scratch, "folder-"));
    const notFile = FileDevice.open({ path: folder, slots: 4, reuse: true });
    await rejectsWith(notFile, ZswapIOError, "ZSWAP_E_IO"); // EISDIR: a folder cannot be opened for writing
    const fifo = join(scratch, "fifo");
    execFileSync("mkfifo", [fifo]);
    const pipe = FileDevice.open({ path: fifo, slots: 4, reuse: true });
    assert.match(
      (await rejectsWith(pipe, ZswapArgumentError, "ZSWAP_E_OPTION")).message,
      /not a regular file/,
    );
    if (process.getuid?.() !== 0) {
      t.diagnostic("not root: cannot make a file owned by another user to test that refusal");
      return;
    }
    const theirs = join(scratch, "theirs.swap");
    await writeFile(theirs, new Uint8Array(PAGE_SIZE).fill(1), { mode: 0o644 });
    await chown(theirs, 65534, 65534);
    const other = FileDevice.open({ path: theirs, slots: 1, reuse: true });
    assert.match(
      (await rejectsWith(other, ZswapArgumentError, "ZSWAP_E_OPTION")).message,
      /another user/,
    );
    assert.equal((await stat(theirs)).mode & 0o777, 0o644);
  });

  test("the O_DIRECT probe creates and removes nothing but its own unnamed file", async () => {
    const folder = await mkdtemp(join(scratch, "probe-"));
    const unrelated = join(folder, "x.swap.probe");
    await writeFile(unrelated, "keep me");
    await FileDevice.directSupported(folder);
    assert.deepEqual(await readdir(folder), ["x.swap.probe"]);
    assert.equal(await readFile(unrelated, "utf8"), "keep me");
  });

  test("more I/Os than ioDepthMax in flight all complete", async () => {
    const device = await FileDevice.open({ slots: 512, ioDepthMax: 8 });
    try {
      assert.equal(device.ioDepthMax, 8);
      await concurrentCheck(device);
    } finally {
      await device.close();
    }
  });
});

describe("FileDevice with O_DIRECT", () => {
  test("round-trips, and the descriptor really has O_DIRECT set", async (t) => {
    const device = await directOpen(t, { slots: 300 });
    if (device === undefined) return;
    try {
      assert.equal(device.direct, true);
      assert.match(device.describe, /\(page cache bypassed, O_DIRECT\)$/);
      const fd = await swapFileOf(device, tmpdir());
      const { constants } = await import("node:fs");
      const flags = await openFlagsOf(fd);
      assert.ok(flags & constants.O_DIRECT!, `flags 0${flags.toString(8)} include O_DIRECT`);
      await roundTripCheck(device, 120, 3);
      assert.equal((await stat(fd)).size, 300 * PAGE_SIZE);
    } finally {
      await device.close();
    }
  });

  test("the caller's buffers need no alignment: odd offsets into a shared buffer work", async (t) => {
    const device = await directOpen(t, { slots: 16 });
    if (device === undefined) return;
    try {
      const shared = new Uint8Array(3 * PAGE_SIZE + 7);
      const page = new Uint8Array(shared.buffer, 3, PAGE_SIZE);
      page.set(pageMake(21));
      await device.write(slot(9), page);
      const into = new Uint8Array(shared.buffer, PAGE_SIZE + 5, PAGE_SIZE);
      await device.read(slot(9), into);
      assert.deepEqual(into, pageMake(21));
    } finally {
      await device.close();
    }
  });

  test("more I/Os than ioDepthMax in flight all complete through 8 bounce pages", async (t) => {
    const device = await directOpen(t, { slots: 512, ioDepthMax: 8 });
    if (device === undefined) return;
    try {
      await concurrentCheck(device);
    } finally {
      await device.close();
    }
  });

  test("the alignment probe keeps a caller's data at slot 0", async (t) => {
    const path = join(scratch, "probe.swap");
    await writeFile(path, new Uint8Array(4 * PAGE_SIZE).fill(0x77));
    const device = await directOpen(t, { path, slots: 4, reuse: true });
    if (device === undefined) return;
    await device.close();
    const bytes = await readFile(path);
    assert.ok(
      bytes.every((byte) => byte === 0x77),
      "the probe rewrote the same bytes",
    );
  });

  test("an O_DIRECT open that the file system refuses (EINVAL) is an option error", () => {
    const einval = Object.assign(new Error("invalid argument"), { code: "EINVAL" });
    const refused = openError(einval, "/x", true);
    assert.ok(refused instanceof ZswapArgumentError);
    assert.equal(refused.code, "ZSWAP_E_OPTION");
    assert.match(refused.message, /does not support O_DIRECT/);
    const plain = openError(einval, "/x", false);
    assert.ok(plain instanceof ZswapIOError);
    assert.equal(plain.errno, "EINVAL");
  });
});

describe("FileDevice refusals", () => {
  test("a bad slot or page length is rejected with its code and does no I/O", async () => {
    const device = await FileDevice.open({ slots: 4 });
    try {
      const page = pageMake(5);
      for (const bad of [-1, 4, 1.5, Number.NaN]) {
        await rejectsWith(device.write(slot(bad), page), ZswapArgumentError, "ZSWAP_E_OFFSET");
        await rejectsWith(device.read(slot(bad), page), ZswapArgumentError, "ZSWAP_E_OFFSET");
      }
      for (const length of [0, PAGE_SIZE - 1, PAGE_SIZE + 1]) {
        const wrong = new Uint8Array(length).fill(9);
        await rejectsWith(device.write(slot(2), wrong), ZswapArgumentError, "ZSWAP_E_PAGE_SIZE");
        await rejectsWith(device.read(slot(2), wrong), ZswapArgumentError, "ZSWAP_E_PAGE_SIZE");
        assert.ok(
          wrong.every((byte) => byte === 9),
          "nothing read into a wrong-sized buffer",
        );
      }
      const into = new Uint8Array(PAGE_SIZE).fill(1);
      await device.read(slot(2), into);
      assert.ok(
        into.every((byte) => byte === 0),
        "slot 2 was never written",
      );
      assert.equal(
        (await stat(await swapFileOf(device, tmpdir()))).blocks,
        0,
        "no byte reached the file",
      );
    } finally {
      await device.close();
    }
  });

  test("after close, read and write reject with ZSWAP_E_CLOSED; close is idempotent", async () => {
    const device = await FileDevice.open({ slots: 4 });
    await device.close();
    const page = new Uint8Array(PAGE_SIZE);
    await rejectsWith(device.read(slot(0), page), ZswapStateError, "ZSWAP_E_CLOSED");
    await rejectsWith(device.write(slot(0), page), ZswapStateError, "ZSWAP_E_CLOSED");
    await device.close();
  });

  test("close waits for I/O in flight, which completes", async () => {
    const path = join(scratch, "drain.swap");
    await writeFile(path, "");
    const device = await FileDevice.open({ path, slots: 64, ioDepthMax: 4, reuse: true });
    const pages = Array.from({ length: 64 }, (_, n) => pageMake(500 + n));
    const writes = pages.map((page, n) => device.write(slot(n), page));
    const closed = device.close();
    await rejectsWith(device.write(slot(0), pages[0]!), ZswapStateError, "ZSWAP_E_CLOSED");
    await closed;
    const settled = await Promise.allSettled(writes);
    assert.ok(settled.every((outcome) => outcome.status === "fulfilled"));
    const bytes = await readFile(path);
    for (const [n, page] of pages.entries()) {
      assert.deepEqual(new Uint8Array(bytes.subarray(n * PAGE_SIZE, (n + 1) * PAGE_SIZE)), page);
    }
  });

  test("bad options are ZSWAP_E_OPTION", async () => {
    for (const options of [
      { slots: 0 },
      { slots: 2.5 },
      { slots: 4, ioDepthMax: 0 },
      { slots: 4, ioDepthMax: DEVICE_IO_DEPTH_MAX + 1 },
      { slots: 4, path: "" },
      { slots: 4, path: "a\0b" },
      { slots: 4, path: "x", folder: "y" },
      { slots: 4, reuse: true },
      { slots: 4, path: "x", reuse: "yes" },
      { slots: 4, pth: join(scratch, "typo.swap") }, // was an unnamed file in os.tmpdir()
    ]) {
      const bad = options as Parameters<typeof FileDevice.open>[0];
      await rejectsWith(FileDevice.open(bad), ZswapArgumentError, "ZSWAP_E_OPTION");
    }
  });

  test("system errors become ZswapIOError with errno", async () => {
    const missing = FileDevice.open({ path: join(scratch, "no/such/dir/swap"), slots: 4 });
    const error = await rejectsWith(missing, ZswapIOError, "ZSWAP_E_IO");
    assert.equal((error as ZswapIOError).errno, "ENOENT");
    const folder = FileDevice.open({ folder: join(scratch, "no/such/dir"), slots: 4 });
    assert.equal(
      ((await rejectsWith(folder, ZswapIOError, "ZSWAP_E_IO")) as ZswapIOError).errno,
      "ENOENT",
    );
  });
});
