import assert from "node:assert/strict";
import { test } from "node:test";
import { partitionOf } from "../../src/core/partition.js";
import { preferenceList } from "../../src/core/ring/index.js";
import type { Sibling } from "../../src/core/stored-object.js";
import { SimCluster } from "./sim-cluster.js";
import { formed, until } from "./sim-wait.js";
import { bytes, liveValues } from "./workload.js";

const PARTITIONS = 16;
const GRACE_MS = 10_000;

/**
 * A hint left on a fallback that is cut off until after the key was deleted and its tombstone
 * reaped everywhere would bring the deleted value back when the fallback is healed. With a hint
 * window below the tombstone grace (the rule, enforced at start-up) the hint is dropped first.
 * Without the expiry the deleted value comes back (checked by disabling it: the test fails).
 */
async function run(hintWindowMs: number): Promise<{ afterHeal: string[]; expired: number }> {
  const c = new SimCluster({
    seed: 77,
    partitions: PARTITIONS,
    n: 3,
    tombstoneGraceMs: GRACE_MS,
    hintWindowMs,
    // Anti-entropy would carry a resurrected value to every replica; the test looks at one read.
    aaeIntervalMs: 200,
    syncDelayMs: [0, 1],
    verbose: false,
    print: () => undefined,
  });
  const first = c.addNode("n1", []);
  for (const id of ["n2", "n3", "n4"]) c.addNode(id, [first]);
  await formed(c, 4);
  const owners = first.serving?.clusterState.ring?.owners ?? [];
  // A key whose home replicas are n1, n2, n3 in some order, so n4 is its only fallback.
  const key = Array.from({ length: 200 }, (_, i) => `k${i}`).find((k) => {
    const list = preferenceList(owners, partitionOf(bytes(k), PARTITIONS));
    return list[3] === "n4";
  });
  assert.ok(key !== undefined);
  const home = preferenceList(owners, partitionOf(bytes(key), PARTITIONS)).slice(0, 3);
  const target = c.node(home[2] as string);
  const coordinator = c.node(home[0] as string);
  const fallback = c.node("n4");
  const sibling = (value: string, deleted = false): Sibling => ({
    value: bytes(deleted ? "" : value),
    contentType: deleted ? "" : "text/plain",
    deleted,
    writtenAtMs: c.sim.nowMs(),
  });
  const write = async (
    s: Sibling,
    context: Parameters<NonNullable<typeof coordinator.serving>["coordinator"]["put"]>[2],
  ) => {
    let done = false;
    let failed: unknown;
    coordinator.serving?.coordinator
      .put(bytes(key), s, context, { r: 2, w: 2, pr: 0, pw: 0, timeoutMs: 3000 })
      .then(
        () => {
          done = true;
        },
        (error: unknown) => {
          failed = error;
        },
      );
    await until(c, "the write answered", () => done || failed !== undefined, 5000);
    assert.equal(failed, undefined);
  };

  // The third home replica is down: the write leaves a hint for it on the fallback, n4.
  target.crash();
  await until(
    c,
    "the target is down for the coordinator",
    () =>
      coordinator.serving?.clusterState !== undefined &&
      coordinator.serving.members().find((m) => m.id === target.id)?.status === "down",
    10_000,
  );
  await write(sibling("doomed"), []);
  await until(c, "n4 holds a hint", () => fallback.storage.stats().stores.hints.entries === 1, 5000);
  // n4 is cut off before it can deliver; the target comes back and the key is deleted everywhere.
  c.network.partition(
    [fallback.address],
    c.members.filter((n) => n !== fallback).map((n) => n.address),
  );
  void target.start();
  await until(c, "the target serves", () => target.serving !== undefined, 10_000);
  const current = await readAll(c, coordinator, key);
  assert.deepEqual(liveValues(current.object), ["doomed"], "the write is readable before the delete");
  await write(sibling("", true), current.context);
  // Past the grace period the reaper removes the tombstone on every home replica.
  await until(
    c,
    "the tombstone is reaped on every home replica",
    () => home.every((id) => c.node(id).storage.stats().stores.objects.entries === 0),
    GRACE_MS * 4,
  );
  c.network.heal();
  await c.sim.runFor(5000);
  const after = await readAll(c, coordinator, key);
  const expired = (await fallback.serving?.metrics.hintsExpired.get())?.values[0]?.value ?? 0;
  return { afterHeal: liveValues(after.object), expired };
}

async function readAll(
  c: SimCluster,
  node: ReturnType<SimCluster["node"]>,
  key: string,
): Promise<{
  object: Awaited<ReturnType<NonNullable<typeof node.serving>["coordinator"]["get"]>>;
  context: import("../../src/core/causality/index.js").VersionVector;
}> {
  let result: Awaited<ReturnType<NonNullable<typeof node.serving>["coordinator"]["get"]>> | "pending" =
    "pending";
  node.serving?.coordinator.get(bytes(key), { r: 2, w: 2, pr: 0, pw: 0, timeoutMs: 3000 }).then((o) => {
    result = o;
  });
  await until(c, "the read answered", () => result !== "pending", 5000);
  const object = result === "pending" ? undefined : result;
  const { join } = await import("../../src/core/causality/index.js");
  return { object, context: object === undefined ? [] : join(object) };
}

test("a hint older than the hint window is dropped, never delivered after its key's tombstone was reaped", async () => {
  const safe = await run(GRACE_MS / 4);
  assert.deepEqual(safe.afterHeal, [], "the deleted value stays deleted");
  assert.equal(safe.expired, 1, "the fallback dropped its hint and counted it");
});
