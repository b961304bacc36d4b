import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { getJson, useCluster } from "../support/cluster.js";

const ZONES = ["rack-a", "rack-b", "rack-c"];
/** n1, n4 in rack-a; n2, n5 in rack-b; n3, n6 in rack-c. */
const zoneOf = (id: string): string => ZONES[(Number(id.slice(1)) - 1) % ZONES.length] as string;
const KEYS = 120;

interface MembersBody {
  members: { id: string; zone: string | null }[];
}

describe("6 nodes in 3 zones (N=3, R=2, W=2): a whole zone down", { timeout: 150_000 }, () => {
  const { cluster, track, url } = useCluster({
    nodes: 6,
    n: 3,
    r: 2,
    w: 2,
    partitions: 64,
    nodeArgs: (id) => ["--zone", zoneOf(id)],
  });

  test("members show their zones and every partition's home replicas are in 3 zones", () =>
    track(async () => {
      const members = await getJson<MembersBody>(`${url("n2")}/cluster/members`);
      assert.deepEqual(
        members.members.map((m) => [m.id, m.zone]).sort(),
        cluster.nodes.map((n) => [n.id, zoneOf(n.id)]).sort(),
      );
      const ring = await getJson<{ owners: string[][] }>(`${url("n1")}/cluster/ring`);
      assert.equal(ring.owners.length, 64);
      ring.owners.forEach((list, p) => {
        const home = list.slice(0, 3);
        assert.equal(new Set(home.map(zoneOf)).size, 3, `partition ${p}: ${home.join(",")}`);
      });
      // The gauge that would show a fallback to the claim without zones agrees: none here.
      const metrics = await (await fetch(`${url("n1")}/metrics`)).text();
      assert.match(metrics, /^ringkv_ring_zone_shared_partitions\{node="n1"\} 0$/m);
    }));

  test("with rack-a killed every acknowledged key reads back and every key takes a write", () =>
    track(async () => {
      const acked = new Map<string, string>();
      for (let i = 0; i < KEYS; i++) {
        const key = `zone-key-${i}`;
        const writer = cluster.nodes[i % 6]?.id as string;
        const res = await fetch(`${url(writer)}/kv/${key}`, { method: "PUT", body: `v${i}` });
        assert.equal(res.status, 204, `writing ${key}`);
        acked.set(key, `v${i}`);
      }
      await cluster.kill("n1");
      await cluster.kill("n4");
      const survivors = ["n2", "n3", "n5", "n6"];
      let i = 0;
      for (const [key, value] of acked) {
        const reader = survivors[i++ % survivors.length] as string;
        const read = await fetch(`${url(reader)}/kv/${key}?r=2`);
        assert.equal(read.status, 200, `reading ${key} through ${reader}`);
        assert.equal(await read.text(), value);
        const context = read.headers.get("x-ringkv-context") ?? "";
        const write = await fetch(`${url(reader)}/kv/${key}?w=2`, {
          method: "PUT",
          body: `${value}-after`,
          headers: { "x-ringkv-context": context },
        });
        assert.equal(write.status, 204, `writing ${key} through ${reader}`);
      }
      for (const [key, value] of acked) {
        const read = await fetch(`${url("n6")}/kv/${key}?r=2`);
        assert.equal(read.status, 200, `reading ${key} again`);
        assert.equal(await read.text(), `${value}-after`);
      }
    }));
});
