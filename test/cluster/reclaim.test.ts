import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster } from "../support/cluster.js";

interface Member {
  id: string;
  state: string;
  status: string;
  load: { keys: number };
  transfer: { version: number; remaining: number };
}
interface Ring {
  version: number;
  owners: string[][];
  next?: unknown;
}

const KEYS = 1500;
const N = 3;

describe("reclaim and transfer resume on real processes (N=3)", { timeout: 300_000 }, () => {
  const { cluster, track, url } = useCluster({
    nodes: 3,
    n: N,
    r: 2,
    w: 3,
    partitions: 64,
    extraArgs: ["--enable-fault-injection"],
  });
  const live = new Set(["n1", "n2", "n3"]);

  /** A node's own load figures (fresh within its 1 s refresh), from its /cluster/members. */
  async function ownKeys(id: string): Promise<number> {
    const body = await getJson<{ members: Member[] }>(`${url(id)}/cluster/members`);
    const self = body.members.find((m) => m.id === id);
    assert.ok(self !== undefined, `${id} lists itself`);
    return self.load.keys;
  }

  /** Every node in `ids` active and up as n1 sees it, and the ring has no change pending. */
  async function changeDone(ids: string[], timeoutMs: number): Promise<void> {
    await waitFor(
      `ring over ${ids.join(",")} with no pending change`,
      async () => {
        const { members } = await getJson<{ members: Member[] }>(`${url("n1")}/cluster/members`);
        const ok = ids.every((id) =>
          members.some((m) => m.id === id && m.state === "active" && m.status === "up"),
        );
        if (!ok) return false;
        const ring = await getJson<Ring>(`${url("n1")}/cluster/ring`);
        const owners = new Set(ring.owners.map((list) => list[0]));
        return (ring.next ?? null) === null && ids.every((id) => owners.has(id));
      },
      120_000 + timeoutMs,
    );
  }

  /** Once reclaim is done every key is on exactly N nodes: the load figures sum to N x keys. */
  async function reclaimed(label: string): Promise<Map<string, number>> {
    let last = new Map<string, number>();
    await waitFor(
      `${label}: load.keys sums to ${N * KEYS}`,
      async () => {
        last = new Map(await Promise.all([...live].map(async (id) => [id, await ownKeys(id)] as const)));
        return [...last.values()].reduce((a, b) => a + b, 0) === N * KEYS;
      },
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; last load.keys: ${JSON.stringify([...last])}`);
    });
    return last;
  }

  async function allReadable(label: string): Promise<void> {
    for (let i = 0; i < KEYS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, KEYS - i) }, async (_, j) => {
          const key = `rk-${i + j}`;
          const res = await fetch(`${url("n2")}/kv/${key}?r=3`);
          assert.equal(res.status, 200, `${label}: ${key} readable at r=3`);
          assert.equal(await res.text(), `value-${i + j}`);
        }),
      );
    }
  }

  test("grow 3 -> 5: the old owners drop what they gave away, every key stays readable at r=3", () =>
    track(async () => {
      for (let i = 0; i < KEYS; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, KEYS - i) }, async (_, j) => {
            const res = await fetch(`${url("n1")}/kv/rk-${i + j}?w=3`, {
              method: "PUT",
              body: `value-${i + j}`,
            });
            assert.equal(res.status, 204);
          }),
        );
      }
      await waitFor(
        "every old node holds all keys",
        async () => {
          const keys = await Promise.all(["n1", "n2", "n3"].map(ownKeys));
          return keys.every((k) => k === KEYS);
        },
        15_000,
      );
      await cluster.addNode("n4");
      await cluster.addNode("n5");
      live.add("n4");
      live.add("n5");
      await changeDone([...live], 0);
      const keys = await reclaimed("after 3 -> 5");
      process.stderr.write(`load.keys after reclaim: ${JSON.stringify([...keys])}\n`);
      for (const id of ["n1", "n2", "n3"]) {
        const k = keys.get(id) ?? KEYS;
        // Their share is 3/5 of the keys; partitions hold unequal counts, so allow some spread.
        assert.ok(k < KEYS * 0.8, `${id} dropped what it gave away: ${k} of ${KEYS}`);
      }
      await allReadable("after 3 -> 5");
    }));

  test("a gaining node killed mid-transfer resumes from its persisted cursors and the change completes", () =>
    track(async () => {
      // Slow the sources' answers to n6 so the transfer is still running when n6 is killed.
      for (const id of live) {
        const rules = [{ peer: "n6", direction: "out", mode: "delay", delayMs: 150 }];
        const res = await fetch(`${url(id)}/admin/faults`, {
          method: "PUT",
          body: JSON.stringify({ rules }),
        });
        assert.equal(res.status, 200, `faults on ${id}`);
      }
      const n6 = await cluster.addNode("n6");
      const first = n6.process;
      assert.ok(first !== undefined);
      await waitFor(
        "n6 to receive a few partitions",
        async () => {
          return (first.logs.match(/"msg":"partition received"/g) ?? []).length >= 3;
        },
        60_000,
      );
      assert.doesNotMatch(first.logs, /"msg":"handoff done"/, "still transferring when killed");
      await cluster.kill("n6", "SIGKILL");
      for (const id of live) await fetch(`${url(id)}/admin/faults`, { method: "DELETE" });
      await cluster.restart("n6");
      live.add("n6");
      const second = cluster.node("n6").process;
      assert.ok(second !== undefined && second !== first);
      await changeDone([...live], 0);
      const resumed = second.logs
        .split("\n")
        .filter((l) => l.includes('"msg":"partition transfer resumed from persisted cursors"'))
        .map((l) => JSON.parse(l) as { partitionsDone: number });
      assert.equal(resumed.length, 1, "the restarted node loaded its stored progress once");
      assert.ok(
        (resumed[0]?.partitionsDone ?? 0) >= 3,
        `resumed with partitions done: ${JSON.stringify(resumed)}`,
      );
      await reclaimed("after 5 -> 6");
      await allReadable("after 5 -> 6");
    }));
});
