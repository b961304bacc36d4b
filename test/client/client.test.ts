import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  CLIENT_PROTOCOLS,
  Client,
  type ClientProtocol,
  NoNodeAvailableError,
  RingkvHttpError,
  type Sibling,
  UnavailableError,
  UnresolvedSiblingsError,
} from "../../src/client/index.js";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";

/** Sum of one counter over every running node's /metrics. */
async function counterSum(urls: string[], name: string): Promise<number> {
  let sum = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    assert.ok(line !== undefined, `${url}/metrics has ${name}`);
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

const union = (siblings: Sibling[]): string => {
  const all = new Set<string>();
  for (const s of siblings)
    for (const e of JSON.parse(Buffer.from(s.value).toString("utf8")) as string[]) all.add(e);
  return JSON.stringify([...all].sort());
};

/** Sum over the nodes of the client connections they accepted with one protocol. */
async function connectionsSum(urls: string[], protocol: ClientProtocol): Promise<number> {
  let sum = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text
      .split("\n")
      .find((l) => l.startsWith(`ringkv_client_connections_total{protocol="${protocol}"`));
    sum += line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

// One suite, run over each protocol the client speaks.
for (const protocol of CLIENT_PROTOCOLS) {
  describe(`Client (${protocol}) against a 4-node cluster of real processes (N=3, R=2, W=2)`, {
    timeout: 240_000,
  }, () => {
    const { cluster, track, url } = useCluster({ nodes: 4, n: 3, r: 2, w: 2, partitions: 64 });
    const running = (): string[] => {
      const urls = cluster.nodes
        .filter(
          (n) =>
            n.process !== undefined &&
            n.process.child.exitCode === null &&
            n.process.child.signalCode === null,
        )
        .map((n) => n.url);
      assert.ok(urls.length >= 4, "the running nodes are found");
      return urls;
    };
    const clients: Client[] = [];
    const connect = async (): Promise<Client> => {
      const client = await Client.connect({ nodes: [url("n1")], nodeBackoffMs: 500, protocol });
      clients.push(client);
      return client;
    };
    after(() => {
      for (const c of clients) c.close();
    });

    test("learns the ring and sends every write straight to a home replica (no forwarding hop)", () =>
      track(async () => {
        const client = await connect();
        assert.ok((client.ringVersion ?? 0) >= 1, "the client read the ring");
        const before = await counterSum(running(), "ringkv_writes_forwarded_total");
        for (let i = 0; i < 60; i++) await client.put(`direct-${i}`, `v${i}`);
        assert.equal(await counterSum(running(), "ringkv_writes_forwarded_total"), before);
        for (let i = 0; i < 60; i++) {
          const read = await client.get(`direct-${i}`);
          assert.equal(read.status, 200);
          assert.equal(read.status === 200 && Buffer.from(read.value).toString(), `v${i}`);
        }
        // The control: the same writes sent to one node do get forwarded (so the counter works).
        for (let i = 0; i < 20; i++) await fetch(`${url("n1")}/kv/direct-${i}`, { method: "PUT", body: "x" });
        assert.ok((await counterSum(running(), "ringkv_writes_forwarded_total")) > before);
      }));

    test(`carries key requests over ${protocol}`, () =>
      track(async () => {
        const client = await connect();
        const binaryBefore = await connectionsSum(running(), "binary");
        for (let i = 0; i < 20; i++) await client.put(`carried-${i}`, `v${i}`);
        for (let i = 0; i < 20; i++) assert.equal((await client.get(`carried-${i}`)).status, 200);
        const opened = (await connectionsSum(running(), "binary")) - binaryBefore;
        if (protocol === "binary") {
          // A few multiplexed connections per node, not one per request.
          assert.ok(opened >= 1 && opened <= 8, `binary connections opened: ${opened}`);
        } else {
          assert.equal(opened, 0);
        }
      }));

    test("exposes siblings, and a write with their context resolves them", () =>
      track(async () => {
        const client = await connect();
        await client.put("sibs", "left");
        const second = await client.put("sibs", "right");
        assert.equal(second.siblings, 2, "the second blind write reports a concurrent version");
        const read = await client.get("sibs");
        assert.equal(read.status, 300);
        assert.deepEqual(
          read.status === 300 && read.siblings.map((s) => Buffer.from(s.value).toString()).sort(),
          ["left", "right"],
        );
        const resolved = await client.put("sibs", "both", { context: read.context });
        assert.equal(resolved.siblings, 1);
        const after = await client.get("sibs");
        assert.equal(after.status === 200 && Buffer.from(after.value).toString(), "both");
      }));

    test("update() with a merging resolve loses no element when four writers race on one key", () =>
      track(async () => {
        const writers = await Promise.all([connect(), connect(), connect(), connect()]);
        await Promise.all(
          writers.map(async (client, w) => {
            for (let i = 0; i < 10; i++) {
              await client.update(
                "set",
                (current) => {
                  const set =
                    current === undefined ? [] : (JSON.parse(Buffer.from(current).toString()) as string[]);
                  return JSON.stringify([...set, `w${w}-${i}`].sort());
                },
                union,
              );
            }
          }),
        );
        const read = await writers[0]!.get("set");
        const final =
          read.status === 200
            ? (JSON.parse(Buffer.from(read.value).toString()) as string[])
            : read.status === 300
              ? (JSON.parse(union(read.siblings)) as string[])
              : [];
        assert.equal(new Set(final).size, 40, `all 40 elements present, got ${final.length}`);
      }));

    test("update() without a resolve refuses a key with siblings", () =>
      track(async () => {
        const client = await connect();
        await client.put("unresolved", "a");
        await client.put("unresolved", "b");
        await assert.rejects(
          client.update("unresolved", () => "c"),
          UnresolvedSiblingsError,
        );
      }));

    test("errors are typed: a bad parameter is a RingkvHttpError 400, an unreachable cluster NoNodeAvailableError", () =>
      track(async () => {
        const client = await connect();
        await assert.rejects(client.put("k", "v", { w: 99 }), (e: unknown) => {
          assert.ok(e instanceof RingkvHttpError);
          assert.equal(e.status, 400);
          assert.equal(e.code, "bad_request");
          return true;
        });
        const nowhere = new Client({ nodes: ["http://127.0.0.1:1"], attemptsMax: 1 });
        clients.push(nowhere);
        await assert.rejects(nowhere.get("k"), NoNodeAvailableError);
      }));

    test("fails over when a home replica is down; a strict pw=3 write is an UnavailableError", () =>
      track(async () => {
        const client = await connect();
        for (let i = 0; i < 30; i++) await client.put(`failover-${i}`, `v${i}`);
        await cluster.kill("n2");
        // Before any node has noticed, requests routed to n2 fail over to the other replicas.
        for (let i = 0; i < 30; i++) {
          const read = await client.get(`failover-${i}`);
          assert.equal(read.status === 200 && Buffer.from(read.value).toString(), `v${i}`);
          await client.put(`failover-${i}`, `w${i}`, { context: read.context });
        }
        await waitStatus(url("n1"), "n2", "down");
        const ring = await getJson<{ owners: string[][] }>(`${url("n1")}/cluster/ring`);
        let strictKey: string | undefined;
        for (let i = 0; i < 200 && strictKey === undefined; i++) {
          const info = await getJson<{ partition: number }>(`${url("n1")}/debug/replicas/strict-${i}`);
          if (ring.owners[info.partition]?.slice(0, 3).includes("n2")) strictKey = `strict-${i}`;
        }
        assert.ok(strictKey !== undefined);
        await assert.rejects(client.put(strictKey, "v", { w: 3, pw: 3 }), (e: unknown) => {
          assert.ok(e instanceof UnavailableError, String(e));
          assert.equal(e.needed, 3);
          assert.equal(e.acked, 2);
          return true;
        });
        await cluster.restart("n2");
        await cluster.waitConverged();
      }));

    test("refreshes its ring when a node joins, then again sends writes straight to home replicas", () =>
      track(async () => {
        const client = await connect();
        const before = client.ringVersion ?? 0;
        await cluster.addNode("n5");
        await waitFor(
          "n5 to own partitions",
          async () => {
            const ring = await getJson<{ owners: string[][]; version: number }>(`${url("n1")}/cluster/ring`);
            return ring.owners.some((list) => list[0] === "n5");
          },
          60_000,
        );
        // Any answer carries the ring version; a newer one makes the client re-read the ring.
        await waitFor(
          "the client to learn the new ring",
          async () => {
            await client.get("probe");
            return (client.ringVersion ?? 0) > before;
          },
          15_000,
        );
        await cluster.waitConverged();
        await client.refreshRing();
        const forwarded = await counterSum(running(), "ringkv_writes_forwarded_total");
        for (let i = 0; i < 40; i++) await client.put(`after-join-${i}`, `v${i}`);
        assert.equal(await counterSum(running(), "ringkv_writes_forwarded_total"), forwarded);
      }));
  });
}
