import assert from "node:assert/strict";
import type { SimCluster } from "./sim-cluster.js";

/**
 * Runs the simulation until `done` holds, failing the test after `withinMs` of virtual time.
 * Everything in the simulation moves only while its clock runs: a test never awaits it directly.
 */
export async function until(
  c: SimCluster,
  what: string | (() => string),
  done: () => boolean,
  withinMs: number,
): Promise<void> {
  const reached = await c.sim.runWhile(() => !done(), c.sim.nowMs() + withinMs);
  const described = typeof what === "string" ? what : what();
  assert.ok(reached, `${described} within ${withinMs} ms; problems: ${c.problems.join("; ")}`);
}

/** Waits until `members` nodes serve, all active, with one settled ring (no change pending). */
export function formed(c: SimCluster, members: number, withinMs = 30_000): Promise<void> {
  return until(
    c,
    `a cluster of ${members} formed`,
    () =>
      c.serving.length === members &&
      c.serving.every((n) => {
        const s = n.serving?.clusterState;
        return (
          s?.ring?.next === null &&
          s.members.length === members &&
          s.members.every((m) => m.state === "active")
        );
      }),
    withinMs,
  );
}
