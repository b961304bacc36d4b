import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";

interface MembersBody {
  members: { id: string; load: { keys: number; hints: number } }[];
}

const KEYS = 100;

/**
 * The smallest cluster with N equal to its size: no fallback node exists, so a replica that was
 * down gets what it missed from the hints its peers kept for it, or from anti-entropy.
 */
for (const variant of [
  { name: "from hints", args: ["--aae-interval-ms", "3600000"] },
  { name: "by anti-entropy alone (no hints)", args: ["--max-hints-per-node", "0"] },
]) {
  describe(`3 real processes (N=3, R=2, W=2): a replica back from a crash catches up ${variant.name}`, {
    timeout: 180_000,
  }, () => {
    const { cluster, track, url } = useCluster({
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      partitions: 64,
      extraArgs: variant.args,
    });

    test(`n3 holds all ${KEYS} writes it missed, with no client read`, () =>
      track(async () => {
        await cluster.kill("n3");
        await waitStatus(url("n1"), "n3", "down", 10_000);
        let acked = 0;
        for (let i = 0; i < KEYS; i++) {
          const via = i % 2 === 0 ? "n1" : "n2";
          const res = await fetch(`${url(via)}/kv/missed-${i}?w=2`, { method: "PUT", body: `v${i}` });
          assert.equal(res.status, 204, await res.text());
          acked += 1;
        }
        assert.equal(acked, KEYS);
        const hintsHeld = async (): Promise<number> => {
          const { members } = await getJson<MembersBody>(`${url("n1")}/cluster/members`);
          return members.find((m) => m.id === "n1")?.load.hints ?? -1;
        };
        await cluster.restart("n3");
        // n3's own count of its keys (its storage stats, read at most once a second): no read of the data.
        const held = async (): Promise<number> => {
          const { members } = await getJson<MembersBody>(`${url("n3")}/cluster/members`);
          return members.find((m) => m.id === "n3")?.load.keys ?? 0;
        };
        await waitFor(`n3 to hold all ${KEYS} keys`, async () => (await held()) === KEYS, 60_000);
        // Every copy is the one written: n3 agrees with n1 on each key.
        for (const i of [0, 1, KEYS - 1]) {
          const info = await getJson<{ replicas: { id: string; values?: string[] }[] }>(
            `${url("n3")}/debug/replicas/missed-${i}`,
          );
          assert.deepEqual(
            info.replicas.map((r) => r.values),
            [0, 1, 2].map(() => [Buffer.from(`v${i}`).toString("base64")]),
          );
        }
        if (variant.args.includes("--max-hints-per-node"))
          assert.equal(await hintsHeld(), 0, "no hint was kept: anti-entropy did the work");
        else
          await waitFor(
            "n1's hints for n3 delivered and deleted",
            async () => (await hintsHeld()) === 0,
            30_000,
          );
      }));
  });
}
