import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "../../src/client/index.js";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";
import { runCliAsync } from "../support/node-process.js";

const EXPIRES = "x-ringkv-expires-at";
const CTX = "x-ringkv-context";
const IDS = ["n1", "n2", "n3"] as const;

interface ReplicasBody {
  replicas: { id: string; values?: string[]; context?: string | null; error?: string }[];
}

/** Waits (in real time) until the wall clock, which every node here shares, has passed `deadlineMs`. */
async function untilPast(deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) await sleep(Math.max(1, deadlineMs - Date.now() + 1));
}

describe("expiry on 3 real processes (N=3, R=2, W=2)", { timeout: 120_000 }, () => {
  const { cluster, track, url } = useCluster({
    nodes: 3,
    n: 3,
    r: 2,
    w: 2,
    partitions: 16,
    extraArgs: ["--tombstone-grace-ms", "3000", "--hint-window-ms", "2000", "--aae-interval-ms", "500"],
  });
  const replicas = (key: string): Promise<ReplicasBody> =>
    getJson<ReplicasBody>(`${url("n1")}/debug/replicas/${key}`);

  // Deadlines are 8 s out, not 2: the reads of the live value before them must finish first even on a loaded machine.
  test("a ttl_s=8 write (CLI --ttl and client ttlS) reads with X-Ringkv-Expires-At everywhere, then 404 everywhere, then is reaped", () =>
    track(async () => {
      const cli = await runCliAsync(["put", "via-cli", "from the cli", "--ttl", "8", "--node", url("n1")]);
      assert.equal(cli.code, 0, cli.stderr);
      const client = new Client({ nodes: [url("n2")] });
      try {
        await client.put("via-client", "from the client", { ttlS: 8, w: 3 });
        const viaClient = await client.get("via-client", { r: 3 });
        assert.equal(viaClient.status, 200);
        assert.equal(typeof (viaClient.status === 200 ? viaClient.expiresAtMs : undefined), "number");
      } finally {
        client.close();
      }
      let latest = 0;
      for (const key of ["via-cli", "via-client"]) {
        const deadlines = new Set<string>();
        for (const id of IDS) {
          const r = await fetch(`${url(id)}/kv/${key}?r=3`);
          assert.equal(r.status, 200, `${key} through ${id}`);
          const expires = r.headers.get(EXPIRES);
          assert.ok(expires !== null && Number(expires) > 0, `${key} through ${id} has a deadline`);
          deadlines.add(expires);
        }
        assert.equal(
          deadlines.size,
          1,
          `every node reports the one deadline stamped at the write (${[...deadlines]})`,
        );
        latest = Math.max(latest, Number([...deadlines][0]));
      }
      await untilPast(latest);
      // Expiry is judged when a read is answered: no waiting for any replica to catch up.
      for (const key of ["via-cli", "via-client"]) {
        for (const id of IDS) {
          for (const r of ["1", "3"]) {
            const answer = await fetch(`${url(id)}/kv/${key}?r=${r}`);
            assert.equal(answer.status, 404, `${key} through ${id} at r=${r}`);
          }
        }
      }
      const cliGet = await runCliAsync(["get", "via-cli", "--node", url("n3")]);
      assert.equal(cliGet.code, 1);
      assert.match(cliGet.stderr, /not found/);
      // Space is reclaimed: the reaper drops the expired keys on every replica after the grace.
      await waitFor(
        "the expired keys reaped on every replica",
        async () => {
          for (const key of ["via-cli", "via-client"]) {
            const info = await replicas(key);
            if (!info.replicas.every((x) => x.error === undefined && x.context === null)) return false;
          }
          return true;
        },
        30_000,
      );
      for (const id of IDS) assert.equal((await fetch(`${url(id)}/kv/via-cli?r=3`)).status, 404);
    }));

  test("a replica down while the deadline passes, holding the older live value, never brings it back", () =>
    track(async () => {
      const key = "outlived";
      const first = await fetch(`${url("n1")}/kv/${key}?w=3`, { method: "PUT", body: "old, never expires" });
      assert.equal(first.status, 204);
      const context = first.headers.get(CTX) ?? "";
      await cluster.kill("n3");
      let deadline = 0;
      try {
        await waitStatus(url("n1"), "n3", "down", 15_000);
        // Supersedes the old value with one that expires: n3, down, keeps only the old one.
        const second = await fetch(`${url("n2")}/kv/${key}?ttl_s=8`, {
          method: "PUT",
          body: "new, expires",
          headers: { [CTX]: context },
        });
        assert.equal(second.status, 204);
        const read = await fetch(`${url("n1")}/kv/${key}`);
        assert.equal(read.status, 200);
        assert.equal(await read.text(), "new, expires");
        deadline = Number(read.headers.get(EXPIRES));
        await untilPast(deadline);
        for (const id of ["n1", "n2"]) assert.equal((await fetch(`${url(id)}/kv/${key}`)).status, 404, id);
      } finally {
        await cluster.restart("n3");
      }
      // Every node must see n3 up again, or a read at r=3 through it has no third replica to ask.
      for (const id of IDS) await waitStatus(url(id), "n3", "up", 15_000);
      // Hints and anti-entropy bring n3 the expired version (or the key is reaped everywhere).
      await waitFor(
        "n3 holds the expired version's history, or every replica reaped it",
        async () => {
          const info = await replicas(key);
          if (info.replicas.some((x) => x.error !== undefined)) return false;
          const contexts = new Set(info.replicas.map((x) => x.context ?? null));
          return contexts.size === 1;
        },
        30_000,
      );
      // Repair keeps running; the old value must never read live again, through any node.
      for (let round = 0; round < 3; round++) {
        for (const id of IDS) {
          for (const r of ["1", "2", "3"]) {
            // A loaded machine may leave a replica too slow for r=3 (503 unavailable, which
            // reads nothing): that read is asked again. What may never come back is a value.
            let answer = await fetch(`${url(id)}/kv/${key}?r=${r}&timeout_ms=5000`);
            for (let retry = 0; answer.status === 503 && retry < 5; retry++) {
              assert.equal(((await answer.json()) as { error: string }).error, "unavailable");
              await sleep(500);
              answer = await fetch(`${url(id)}/kv/${key}?r=${r}&timeout_ms=5000`);
            }
            assert.equal(
              answer.status,
              404,
              `${key} through ${id} at r=${r}, round ${round}: ${await answer.text()} ${JSON.stringify(await replicas(key))}`,
            );
          }
        }
        await sleep(1000);
      }
    }));
});
