// A strict TypeScript user of the public API, type-checked against the installed package's
// declarations (never run). The @ts-expect-error lines fail the check if what they forbid compiles.
import {
  MemoryDevice,
  PAGE_SIZE,
  type SwapSlot,
  SwapSpace,
  type SwapSpaceStats,
  statsText,
  Zswap,
  ZswapError,
  type ZswapErrorCode,
} from "zswap-ts";
import { FaultyDevice, LATENCY_PRESETS, SimClock } from "zswap-ts/testing";

export async function roundTrip(page: Uint8Array): Promise<SwapSpaceStats> {
  const space = await SwapSpace.open({
    slots: 8,
    device: new MemoryDevice({ slots: 8 }),
    zswap: { maxPoolBytes: 16 * PAGE_SIZE, shrinkerEnabled: true },
    whenFull: "wait",
  });
  const slot: SwapSlot = await space.swapOut(page);
  await space.swapIn(slot, new Uint8Array(PAGE_SIZE), { free: true });
  // @ts-expect-error a bare number is not a SwapSlot
  await space.swapIn(3, new Uint8Array(PAGE_SIZE));
  const stats = space.stats();
  await space.close();
  return stats;
}

export function codeOf(err: unknown): ZswapErrorCode | undefined {
  return err instanceof ZswapError ? err.code : undefined;
}

export function hooks(page: Uint8Array): string {
  const z = new Zswap({ maxPoolPercent: 20, memoryBytes: 2 ** 30 });
  z.swapon(0, 64);
  const stored: boolean = z.store(0, 1, page);
  // @ts-expect-error the pool is internal: not in the declarations
  z.pool;
  return `${stored} ${statsText(z.stats())}`;
}

/** The testing entry: a faulty device over memory on virtual time, driving a space. */
export async function simulated(page: Uint8Array): Promise<number> {
  const clock = new SimClock();
  const device = new FaultyDevice(new MemoryDevice({ slots: 8 }), {
    seed: 1,
    latency: LATENCY_PRESETS.ssd,
    clock,
  });
  const space = await SwapSpace.open({ slots: 8, device, zswap: false, clock });
  const slot = await clock.run(space.swapOut(page));
  await clock.run(space.close());
  return slot;
}
