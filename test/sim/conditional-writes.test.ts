import assert from "node:assert/strict";
import { test } from "node:test";
import { deleteIf, putIf } from "../../src/coordinator/conditional-write.js";
import type { RequestOptions } from "../../src/coordinator/request-options.js";
import { join, type VersionVector } from "../../src/core/causality/index.js";
import { hasLiveValue, sameContext } from "../../src/core/write-condition.js";
import { ConditionFailedError } from "../../src/errors.js";
import { testSeed } from "../support/test-seed.js";
import { SimCluster } from "./sim-cluster.js";
import type { SimNode } from "./sim-node.js";
import { formed, until } from "./sim-wait.js";
import { bytes } from "./workload.js";

const QUORUM: RequestOptions = { r: 2, w: 2, pr: 0, pw: 0, timeoutMs: 2000 };
const OPS = 120;
const KEYS = ["a", "b", "c"];

type Outcome = "applied" | "refused";

/** Runs the simulation until the operation settles; a refusal is "refused", anything else fails the test. */
async function settle(c: SimCluster, what: string, op: Promise<unknown>): Promise<Outcome> {
  let outcome: Outcome | undefined;
  let failure: unknown;
  op.then(
    () => {
      outcome = "applied";
    },
    (error: unknown) => {
      if (error instanceof ConditionFailedError) outcome = "refused";
      else failure = error;
    },
  );
  await until(c, what, () => outcome !== undefined || failure !== undefined, 10_000);
  if (failure !== undefined) throw failure;
  return outcome as Outcome;
}

test("without faults and with R+W>N, sequential conditional writes through random coordinators act as a compare-and-set", async () => {
  const seed = testSeed();
  const c = new SimCluster({
    seed,
    partitions: 16,
    n: 3,
    tombstoneGraceMs: 24 * 3600 * 1000,
    aaeIntervalMs: 500,
    syncDelayMs: [0, 2],
    verbose: false,
    print: () => undefined,
  });
  const nodes = [c.addNode("n1", [])];
  const first = nodes[0] as SimNode;
  nodes.push(c.addNode("n2", [first]), c.addNode("n3", [first]));
  await formed(c, 3);
  const random = c.random.fork("conditional-ops");
  // The model: per key, whether it has a live value, and every context a write handed out.
  const live = new Map<string, boolean>();
  const handedOut = new Map<string, VersionVector[]>();
  const seen = new Map<string, number>();
  const count = (what: string): void => {
    seen.set(what, (seen.get(what) ?? 0) + 1);
  };
  for (let i = 0; i < OPS; i++) {
    const name = random.pick(KEYS);
    const key = bytes(name);
    const node = random.pick(nodes);
    const coordinator = node.serving?.coordinator;
    assert.ok(coordinator !== undefined);
    const contexts = handedOut.get(name) ?? [];
    const latest = contexts[contexts.length - 1];
    const stale = contexts.length > 1 ? random.pick(contexts.slice(0, -1)) : undefined;
    const choice = random.int(0, 3);
    const step = `op ${i} (seed ${seed}) on ${name} via ${node.id}`;
    const nowMs = (): number => c.sim.nowMs();
    const sibling = {
      value: bytes(`v${i}`),
      contentType: "text/plain",
      deleted: false,
      writtenAtMs: nowMs(),
    };
    if (choice === 0 || latest === undefined) {
      const outcome = await settle(
        c,
        `${step}: create-only`,
        putIf(coordinator, key, sibling, { kind: "none-live" }, QUORUM, nowMs).then((o) => {
          contexts.push(join(o));
        }),
      );
      assert.equal(outcome, live.get(name) === true ? "refused" : "applied", `${step}: create-only`);
      count(`create ${outcome}`);
      if (outcome === "applied") live.set(name, true);
    } else if (choice === 1) {
      const outcome = await settle(
        c,
        `${step}: put If-Match latest`,
        putIf(coordinator, key, sibling, { kind: "context-matches", context: latest }, QUORUM, nowMs).then(
          (o) => {
            contexts.push(join(o));
          },
        ),
      );
      assert.equal(outcome, "applied", `${step}: put If-Match with the latest context`);
      live.set(name, true);
      count("put If-Match applied");
    } else if (choice === 2) {
      const outcome = await settle(
        c,
        `${step}: delete If-Match latest`,
        deleteIf(coordinator, key, { kind: "context-matches", context: latest }, QUORUM, nowMs).then((o) => {
          assert.ok(o !== undefined);
          contexts.push(join(o));
        }),
      );
      assert.equal(outcome, "applied", `${step}: delete If-Match with the latest context`);
      live.set(name, false);
      count("delete If-Match applied");
    } else if (stale !== undefined && !sameContext(stale, latest)) {
      const outcome = await settle(
        c,
        `${step}: put If-Match stale`,
        putIf(coordinator, key, sibling, { kind: "context-matches", context: stale }, QUORUM, nowMs),
      );
      assert.equal(outcome, "refused", `${step}: put If-Match with a stale context`);
      count("stale If-Match refused");
    }
    handedOut.set(name, contexts);
  }
  // Every kind of step ran (120 steps over 4 choices make each all but certain for any seed).
  for (const what of [
    "create applied",
    "create refused",
    "put If-Match applied",
    "delete If-Match applied",
    "stale If-Match refused",
  ])
    assert.ok((seen.get(what) ?? 0) > 0, `${what} happened (seed ${seed}): ${JSON.stringify([...seen])}`);
  // Each key reads as the model says: one value (never siblings) or absent.
  for (const name of KEYS) {
    const coordinator = first.serving?.coordinator;
    assert.ok(coordinator !== undefined);
    let read: Awaited<ReturnType<typeof coordinator.get>>;
    await settle(
      c,
      `read ${name}`,
      coordinator.get(bytes(name), { ...QUORUM, r: 3 }).then((o) => {
        read = o;
      }),
    );
    assert.equal(hasLiveValue(read, c.sim.nowMs()), live.get(name) === true, `${name} (seed ${seed})`);
    const values = read?.entries.flatMap((e) => e.values.filter((v) => !v.deleted)) ?? [];
    assert.ok(values.length <= 1, `${name} has no siblings (seed ${seed})`);
  }
  assert.deepEqual(c.problems, []);
});
