import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";

interface ReplicasBody {
  partition: number;
  replicas: { id: string; status: string; values?: string[]; deleted?: boolean; error?: string }[];
  fallbacks: { id: string; hintFor: string; values?: string[] }[];
}

const b64 = (text: string): string => Buffer.from(text).toString("base64");

describe("sloppy quorum and hinted handoff on 5 real processes (N=3, R=2, W=2)", { timeout: 300_000 }, () => {
  const { cluster, track, url } = useCluster({ nodes: 5, n: 3, r: 2, w: 2, partitions: 64 });
  const put = (id: string, key: string, body: string, query = ""): Promise<Response> =>
    fetch(`${url(id)}/kv/${key}${query}`, { method: "PUT", body });

  /** Keys (of `count`) whose home replicas include `mustHave` and not `mustNot`. */
  async function keysHomedOn(
    prefix: string,
    mustHave: string,
    mustNot: string,
    count: number,
  ): Promise<{ key: string; home: string[] }[]> {
    const ring = await getJson<{ owners: string[][] }>(`${url(mustNot)}/cluster/ring`);
    const keys: { key: string; home: string[] }[] = [];
    for (let i = 0; keys.length < count && i < 100_000; i++) {
      const info = await getJson<ReplicasBody>(`${url(mustNot)}/debug/replicas/${prefix}-${i}`);
      const home = ring.owners[info.partition]?.slice(0, 3) ?? [];
      if (home.includes(mustHave) && !home.includes(mustNot)) keys.push({ key: `${prefix}-${i}`, home });
    }
    return keys;
  }

  test("while a home replica is down, writes go on with hints, a GET with R=3 is met by primaries plus a fallback, and the fallback shows in /debug/replicas", () =>
    track(async () => {
      const [{ key }] = (await keysHomedOn("sloppy", "n5", "n1", 1)) as [{ key: string; home: string[] }];
      await cluster.kill("n5");
      try {
        await waitStatus(url("n1"), "n5", "down");
        assert.equal(
          (await put("n1", key, "while-down", "?w=3")).status,
          204,
          "sloppy W=3 counts the fallback",
        );
        const r = await fetch(`${url("n1")}/kv/${key}?r=3`);
        assert.equal(r.status, 200, "R=3 met by two primaries and the fallback");
        assert.equal(await r.text(), "while-down");
        const strict = await fetch(`${url("n1")}/kv/${key}?r=3&pr=3`);
        assert.equal(strict.status, 503, "PR=3 needs three home replicas");
        const info = await getJson<ReplicasBody>(`${url("n2")}/debug/replicas/${key}`);
        assert.equal(info.replicas.find((x) => x.id === "n5")?.error, "unreachable");
        const fallback = info.fallbacks.find((f) => f.hintFor === "n5");
        assert.ok(fallback, `a fallback holds the hint for n5: ${JSON.stringify(info)}`);
        assert.deepEqual(fallback.values, [b64("while-down")]);
      } finally {
        await cluster.restart("n5");
        await cluster.waitConverged();
      }
    }));

  test("a replica down while 1000 keys are written (and the hint holders restarted) holds all of them within 60 s of its return, with no client read", () =>
    track(async () => {
      await cluster.kill("n4");
      const written = new Map<string, string>();
      try {
        await waitStatus(url("n1"), "n4", "down");
        await waitStatus(url("n2"), "n4", "down");
        let next = 0;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            for (let i = next++; i < 1000; i = next++) {
              const key = `handoff-${i}`;
              const coordinator = `n${[1, 2, 3, 5][i % 4]}`;
              const res = await put(coordinator, key, `value-${i}`);
              assert.equal(res.status, 204, `write ${key}`);
              written.set(key, `value-${i}`);
            }
          }),
        );
        const metrics = await Promise.all(
          ["n1", "n2", "n3", "n5"].map(async (id) => (await fetch(`${url(id)}/metrics`)).text()),
        );
        const pending = metrics
          .flatMap((text) =>
            [...text.matchAll(/ringkv_hints_pending\{target="n4"[^}]*\} (\d+)/g)].map((m) => Number(m[1])),
          )
          .reduce((a, b) => a + b, 0);
        assert.ok(pending > 100, `hints for n4 are pending on the other nodes (${pending})`);
        // Hints are durable: restart every node that holds them before n4 comes back.
        for (const id of ["n1", "n2", "n3", "n5"]) {
          await cluster.kill(id, "SIGKILL");
          await cluster.restart(id);
        }
      } finally {
        await cluster.restart("n4");
      }
      const returnedAt = Date.now();
      // n4's own view, local reads only: /debug/replicas has no repair side effects.
      const n4Keys = [...written.keys()];
      await waitFor(
        "every hint for n4 delivered",
        async () => {
          const text = await (await fetch(`${url("n1")}/metrics`)).text();
          const others = await Promise.all(
            ["n2", "n3", "n5"].map(async (id) => (await fetch(`${url(id)}/metrics`)).text()),
          );
          return [text, ...others].every((t) => !/ringkv_hints_pending\{target="n4"[^}]*\} [1-9]/.test(t));
        },
        60_000,
      );
      let missing = 0;
      for (const key of n4Keys) {
        const info = await getJson<ReplicasBody>(`${url("n4")}/debug/replicas/${key}`);
        const mine = info.replicas.find((x) => x.id === "n4");
        if (mine === undefined) continue; // n4 is not a home replica of this key
        if (mine.values?.[0] !== b64(written.get(key) ?? "")) missing += 1;
      }
      process.stderr.write(
        `n4 held every key it replicates ${Date.now() - returnedAt} ms after its return\n`,
      );
      assert.equal(missing, 0, `${missing} keys missing on n4`);
    }));

  test("a delete made while a replica was down stays deleted after it returns (the tombstone is handed off)", () =>
    track(async () => {
      const [{ key }] = (await keysHomedOn("tomb", "n3", "n1", 1)) as [{ key: string; home: string[] }];
      assert.equal((await put("n1", key, "doomed", "?w=3")).status, 204);
      await cluster.kill("n3");
      try {
        await waitStatus(url("n1"), "n3", "down");
        const d = await fetch(`${url("n1")}/kv/${key}`, { method: "DELETE" });
        assert.equal(d.status, 204);
      } finally {
        await cluster.restart("n3");
      }
      await waitFor(
        "every replica to hold the tombstone",
        async () => {
          const info = await getJson<ReplicasBody>(`${url("n2")}/debug/replicas/${key}`);
          return info.replicas.every((x) => x.deleted === true);
        },
        30_000,
      );
      for (const reader of ["n1", "n2", "n3", "n4", "n5"]) {
        assert.equal((await fetch(`${url(reader)}/kv/${key}?r=3`)).status, 404, `${reader} reads ${key}`);
      }
    }));
});
