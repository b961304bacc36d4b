import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster } from "../support/cluster.js";

interface MembersBody {
  members: { id: string; state: string; status: string }[];
}

const MIB = 1024 * 1024;

describe("a key written by careless clients (many blind 1 MiB writes) wedges nothing, on real processes", {
  timeout: 240_000,
}, () => {
  const { cluster, track, url } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 32 });

  test("past --max-object-bytes blind writes get 409 object_too_large; a node joins; the key is resolved and deleted", () =>
    track(async () => {
      const statuses: number[] = [];
      let refusal: { error?: string; objectBytesMax?: number } = {};
      for (let i = 0; i < 16; i++) {
        const res = await fetch(`${url(`n${(i % 3) + 1}`)}/kv/heavy`, {
          method: "PUT",
          body: Buffer.alloc(MIB, 65 + i),
        });
        statuses.push(res.status);
        if (res.status === 409) refusal = (await res.json()) as typeof refusal;
        else await res.arrayBuffer();
      }
      const accepted = statuses.filter((s) => s === 204).length;
      assert.deepEqual(
        statuses,
        [...Array(accepted).fill(204), ...Array(16 - accepted).fill(409)],
        "writes are accepted until the object would pass 8 MiB, then refused; never a 5xx",
      );
      assert.ok(accepted >= 6 && accepted <= 8, `accepted ${accepted} siblings of 1 MiB under 8 MiB`);
      assert.equal(refusal.error, "object_too_large");
      assert.equal(refusal.objectBytesMax, 8 * MIB);
      for (const id of ["n1", "n2", "n3"]) {
        const res = await fetch(`${url(id)}/kv/heavy`);
        const body = (await res.json()) as { siblings: unknown[] };
        assert.equal(res.status, 300, `${id} reads the siblings`);
        assert.equal(body.siblings.length, accepted);
      }

      // A node joins: the ring change moves the heavy key's partition like any other.
      await cluster.addNode("n4");
      await waitFor(
        "n4 to join and the ring change to complete",
        async () => {
          const { members } = await getJson<MembersBody>(`${url("n1")}/cluster/members`);
          const ring = await getJson<{ version: number; owners: string[][] }>(`${url("n1")}/cluster/ring`);
          const n4Owns = ring.owners.some((list) => list.slice(0, 3).includes("n4"));
          return members.length === 4 && members.every((m) => m.state === "active") && n4Owns;
        },
        120_000,
      );

      const read = await fetch(`${url("n4")}/kv/heavy`);
      assert.equal(read.status, 300);
      const context = read.headers.get("x-ringkv-context") ?? "";
      await read.arrayBuffer();
      const resolved = await fetch(`${url("n4")}/kv/heavy`, {
        method: "PUT",
        body: "resolved",
        headers: { "x-ringkv-context": context },
      });
      assert.equal(resolved.status, 204, "a write with the context shrinks the object: always accepted");
      for (const id of ["n1", "n2", "n3", "n4"]) {
        const res = await fetch(`${url(id)}/kv/heavy`);
        assert.equal(res.status, 200, id);
        assert.equal(await res.text(), "resolved");
      }
      assert.equal((await fetch(`${url("n2")}/kv/heavy`, { method: "DELETE" })).status, 204);
      for (const id of ["n1", "n2", "n3", "n4"]) {
        const res = await fetch(`${url(id)}/kv/heavy`);
        await res.arrayBuffer();
        assert.equal(res.status, 404, id);
      }
    }));
});
