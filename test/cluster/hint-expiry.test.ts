import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";

interface MembersBody {
  members: { id: string; load: { keys: number; hints: number } }[];
}

const KEYS = 20;

/** Hints `node` expired for `target`, from its Prometheus counter (labelled by target). */
async function expiredTotal(url: string, node: string, target = "n3"): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`ringkv_hints_expired_total\\{target="${target}",node="${node}"\\} (\\d+)`).exec(
    text,
  );
  return Number(match?.[1] ?? 0);
}

describe("hint expiry on 3 real processes (N=3, --hint-window-ms 5000, anti-entropy off)", {
  timeout: 120_000,
}, () => {
  const { cluster, track, url } = useCluster({
    nodes: 3,
    n: 3,
    r: 2,
    w: 2,
    partitions: 32,
    extraArgs: ["--hint-window-ms", "5000", "--tombstone-grace-ms", "60000", "--aae-interval-ms", "3600000"],
  });

  test("hints for a replica down longer than the window are dropped, counted, and never delivered", () =>
    track(async () => {
      await cluster.kill("n3");
      await waitStatus(url("n1"), "n3", "down", 10_000);
      for (let i = 0; i < KEYS; i++) {
        const res = await fetch(`${url(i % 2 === 0 ? "n1" : "n2")}/kv/late-${i}?w=2`, {
          method: "PUT",
          body: `v${i}`,
        });
        assert.equal(res.status, 204);
      }
      const hints = async (id: string): Promise<number> => {
        const { members } = await getJson<MembersBody>(`${url(id)}/cluster/members`);
        return members.find((m) => m.id === id)?.load.hints ?? -1;
      };
      // Each write left a hint for n3 on its coordinator (there is no fallback with N=3).
      await waitFor(
        "a hint per write",
        async () => (await hints("n1")) + (await hints("n2")) === KEYS,
        10_000,
      );
      // Past the window the sweep drops them (whatever the target's state) and counts them.
      await waitFor(
        "every hint for n3 expired",
        async () => (await expiredTotal(url("n1"), "n1")) + (await expiredTotal(url("n2"), "n2")) === KEYS,
        20_000,
      );
      await waitFor(
        "no hint left",
        async () => (await hints("n1")) === 0 && (await hints("n2")) === 0,
        10_000,
      );
      await cluster.restart("n3");
      // Nothing is delivered: n3 holds none of the keys (anti-entropy, off here, would repair them).
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const { members } = await getJson<MembersBody>(`${url("n3")}/cluster/members`);
      assert.equal(members.find((m) => m.id === "n3")?.load.keys, 0);
    }));
});
