import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";
import { changeDone, homeNodes, ownKeys, ring } from "../support/ring-watch.js";

interface ReplicasBody {
  partition: number;
  replicas: { id: string; values?: string[]; error?: string }[];
}

const KEYS = 600;
const N = 3;
/** Above the failure detector's 3.5 s down time, as the flag requires. */
const JOIN_TIMEOUT_MS = 5000;

describe("a dead losing replica is read around on real processes (N=3)", { timeout: 180_000 }, () => {
  const { cluster, track, url } = useCluster({
    nodes: 3,
    n: N,
    r: 2,
    w: 3,
    partitions: 64,
    extraArgs: ["--join-timeout-ms", String(JOIN_TIMEOUT_MS)],
  });

  test("a joiner takes the partitions of a replica killed before it joined from the other replicas", () =>
    track(async () => {
      for (let i = 0; i < KEYS; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, KEYS - i) }, async (_, j) => {
            const res = await fetch(`${url("n1")}/kv/ra-${i + j}?w=3`, {
              method: "PUT",
              body: `value-${i + j}`,
            });
            assert.equal(res.status, 204);
          }),
        );
      }
      const before = await ring(url("n1"));
      // With 3 nodes and N=3 every node is a home replica of every partition: n3 will lose
      // some of them to n4. It dies before n4 starts, so n4 can only get them from n1 and n2.
      assert.ok(before.owners.every((list) => list.slice(0, N).includes("n3")));
      await cluster.kill("n3", "SIGKILL");
      await waitStatus(url("n1"), "n3", "down");
      const n4 = await cluster.addNode("n4");
      const joiner = n4.process;
      assert.ok(joiner !== undefined);

      // The plan: partitions n4 gains from n3 (n3 a home replica now, not in the pending ring).
      let taken: number[] = [];
      await waitFor(
        "a pending change that moves partitions from n3 to n4",
        async () => {
          const r = await ring(url("n1"));
          if (r.next === null || r.next === undefined) return false;
          const next = r.next;
          taken = r.owners
            .map((list, p) => ({ p, home: list.slice(0, N), next: next[p] ?? [] }))
            .filter((x) => x.home.includes("n3") && !x.next.includes("n3") && x.next.includes("n4"))
            .map((x) => x.p);
          return taken.length > 0;
        },
        30_000,
      );
      process.stderr.write(`n4 takes ${taken.length} partitions from the dead n3\n`);

      // The change completes with n3 still down (it stays an active member that owns partitions).
      await changeDone(url("n1"), ["n1", "n2", "n3", "n4"], [], 90_000);
      const members = await getJson<{ members: { id: string; status: string }[] }>(
        `${url("n1")}/cluster/members`,
      );
      assert.equal(members.members.find((m) => m.id === "n3")?.status, "down", "n3 stayed down throughout");
      const after = await ring(url("n1"));
      for (const p of taken) {
        const home = after.owners[p]?.slice(0, N) ?? [];
        assert.ok(home.includes("n4") && !home.includes("n3"), `partition ${p} went from n3 to n4: ${home}`);
      }
      assert.ok(homeNodes(after.owners, N).has("n3"), "n3 keeps the partitions it did not lose");

      // n4 said it read around n3, for exactly partitions it took from n3.
      const readAround = joiner.logs
        .split("\n")
        .filter((l) => l.includes('"msg":"partition transfer reads around a losing replica'))
        .map((l) => JSON.parse(l) as { partition: number; dead: string[]; sources: string[] });
      assert.ok(readAround.length > 0, "n4 logged reading around the dead n3");
      for (const entry of readAround) {
        assert.deepEqual(entry.dead, ["n3"]);
        assert.ok(
          taken.includes(entry.partition),
          `read around for partition ${entry.partition} it took from n3`,
        );
        assert.ok(!entry.sources.includes("n3"));
      }
      assert.deepEqual(
        [...new Set(readAround.map((e) => e.partition))].sort((a, b) => a - b),
        [...taken].sort((a, b) => a - b),
        "every partition taken from n3 was read around it",
      );

      // Every key of n4's partitions is on n4 with its value; n4 holds nothing else.
      let expected = 0;
      const fromDead: number[] = [];
      for (let i = 0; i < KEYS; i += 25) {
        const infos = await Promise.all(
          Array.from({ length: Math.min(25, KEYS - i) }, (_, j) =>
            getJson<ReplicasBody>(`${url("n1")}/debug/replicas/ra-${i + j}`).then((info) => ({
              info,
              k: i + j,
            })),
          ),
        );
        for (const { info, k } of infos) {
          const mine = info.replicas.find((r) => r.id === "n4");
          if (mine === undefined) continue;
          expected += 1;
          if (taken.includes(info.partition)) fromDead.push(k);
          assert.deepEqual(mine.values, [Buffer.from(`value-${k}`).toString("base64")], `ra-${k} on n4`);
        }
      }
      assert.ok(fromDead.length > 0, "some keys lived in partitions taken from n3");
      assert.equal(await ownKeys(url("n4"), "n4"), expected, "n4 stores exactly the keys of its partitions");

      // With n3 still down: every key readable at r=2,.
      for (let i = 0; i < KEYS; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, KEYS - i) }, async (_, j) => {
            const res = await fetch(`${url("n2")}/kv/ra-${i + j}?r=2`);
            assert.equal(res.status, 200, `ra-${i + j} readable at r=2`);
            assert.equal(await res.text(), `value-${i + j}`);
          }),
        );
      }
      // The partitions n4 took from n3 have all three home replicas up again: readable at r=3.
      await Promise.all(
        fromDead.map(async (k) => {
          const res = await fetch(`${url("n1")}/kv/ra-${k}?r=3`);
          assert.equal(res.status, 200, `ra-${k} readable at r=3 with n3 down`);
          assert.equal(await res.text(), `value-${k}`);
        }),
      );
      process.stderr.write(
        `n4 holds ${expected} keys, ${fromDead.length} of them from partitions of the dead n3\n`,
      );
    }));
});
