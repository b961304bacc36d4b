import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";

interface NamespaceBody {
  name: string;
  n: number;
  r: number;
  w: number;
  configured: Record<string, number>;
}
interface ReplicasBody {
  namespace: string;
  partition: number;
  replicas: { id: string; values?: string[]; error?: string }[];
}
interface StatsBody {
  namespaceKeys?: { namespaces: { name: string; keys: number }[]; complete: boolean; countedAtMs: number };
}
interface Member {
  id: string;
  state: string;
  status: string;
}
interface ErrorBody {
  error: string;
  message: string;
  needed?: number;
  acked?: number;
}

/** A namespace's keys as this test wrote them: user key -> value. */
type Written = Map<string, string>;

/**
 * The helpers both clusters use, over one suite's `url`: writes, properties, per-node copy counts
 * (GET /stats namespaceKeys) and where /debug/replicas says a key lives.
 */
function helpers(url: (id: string) => string) {
  const put = (id: string, ns: string, key: string, value: string, query = ""): Promise<Response> =>
    fetch(`${url(id)}/kv/${ns}/${key}${query}`, {
      method: "PUT",
      body: value,
      headers: { "content-type": "text/plain" },
    });
  const setProps = (id: string, ns: string, body: unknown): Promise<Response> =>
    fetch(`${url(id)}/namespaces/${ns}`, { method: "PUT", body: JSON.stringify(body) });

  /** Sets `props` through `via` (200) and waits until every node in `ids` answers with its n. */
  async function configure(
    via: string,
    ns: string,
    props: { n: number; r?: number; w?: number },
    ids: string[],
  ): Promise<void> {
    const res = await setProps(via, ns, props);
    assert.equal(res.status, 200, `PUT /namespaces/${ns} ${JSON.stringify(props)}: ${await res.text()}`);
    for (const id of ids)
      await waitFor(
        `${ns} with n=${props.n} on ${id}`,
        async () => (await getJson<NamespaceBody>(`${url(id)}/namespaces/${ns}`)).n === props.n,
        5000,
      );
  }

  /** A test that runs on what an earlier one set up first checks it is there, and fails at once if not. */
  async function requireN(ns: string, n: number): Promise<void> {
    const body = await getJson<NamespaceBody>(`${url("n1")}/namespaces/${ns}`);
    assert.equal(body.configured.n, n, `precondition: namespace ${ns} was set up with n=${n}`);
  }

  /** Writes every key of `keys` (204), 20 at a time, through `via` in turn. */
  async function writeAll(ns: string, keys: Written, via: string[], query = ""): Promise<void> {
    const entries = [...keys];
    for (let i = 0; i < entries.length; i += 20)
      await Promise.all(
        entries.slice(i, i + 20).map(async ([key, value], j) => {
          const id = via[(i + j) % via.length] as string;
          const res = await put(id, ns, key, value, query);
          assert.equal(res.status, 204, `PUT ${ns}/${key}${query} via ${id}: ${await res.text()}`);
        }),
      );
  }

  /** Every key reads back with its value through every node in `ids` (the namespace's own r, or `query`'s). */
  async function readAll(ns: string, keys: Written, ids: string[], query = ""): Promise<void> {
    const entries = [...keys];
    for (const id of ids)
      for (let i = 0; i < entries.length; i += 25)
        await Promise.all(
          entries.slice(i, i + 25).map(async ([key, value]) => {
            const res = await fetch(`${url(id)}/kv/${ns}/${key}${query}`);
            const body = await res.text();
            assert.equal(res.status, 200, `GET ${ns}/${key}${query} via ${id}: ${body}`);
            assert.equal(body, value, `${ns}/${key} via ${id}`);
          }),
        );
  }

  /** Entries of each namespace every node in `ids` stores (its /stats, counted at most 10 s ago). */
  async function copiesByNode(ids: string[]): Promise<Map<string, Map<string, number>>> {
    const byNode = new Map<string, Map<string, number>>();
    for (const id of ids) {
      const counts = (await getJson<StatsBody>(`${url(id)}/stats`)).namespaceKeys;
      assert.ok(counts !== undefined, `${id}'s /stats has namespaceKeys`);
      assert.ok(counts.complete, `${id}'s namespace count is complete`);
      byNode.set(id, new Map(counts.namespaces.map((c) => [c.name, c.keys])));
    }
    return byNode;
  }

  /**
   * Waits until, for each namespace of `expected`, the copies summed over `ids` are exactly its
   * value (keys x n): no copy missing, none left on a node outside a key's first n. On timeout the
   * message shows each node's last counts.
   */
  async function waitCopies(
    label: string,
    ids: string[],
    expected: Record<string, number>,
    timeoutMs: number,
  ) {
    let last = new Map<string, Map<string, number>>();
    const sums = (): Record<string, number> =>
      Object.fromEntries(
        Object.keys(expected).map((ns) => [
          ns,
          [...last.values()].reduce((sum, counts) => sum + (counts.get(ns) ?? 0), 0),
        ]),
      );
    await waitFor(
      `${label}: copies per namespace summed over ${ids.join(",")} are ${JSON.stringify(expected)}`,
      async () => {
        last = await copiesByNode(ids);
        return JSON.stringify(sums()) === JSON.stringify(expected);
      },
      timeoutMs,
    ).catch((error: unknown) => {
      const perNode = [...last].map(([id, counts]) => `${id}=${JSON.stringify(Object.fromEntries(counts))}`);
      throw new Error(
        `${String(error)}; last sums ${JSON.stringify(sums())}; per node: ${perNode.join(" ")}`,
      );
    });
  }

  /**
   * Every key of `keys` has exactly `replicas` home replicas in /debug/replicas (asked through
   * `via`): the first ones of its partition's preference list in `via`'s ring, each holding the value.
   */
  async function checkPlacement(ns: string, keys: Written, replicas: number, via: string): Promise<void> {
    const ring = await getJson<{ owners: string[][] }>(`${url(via)}/cluster/ring`);
    const entries = [...keys];
    for (let i = 0; i < entries.length; i += 20)
      await Promise.all(
        entries.slice(i, i + 20).map(async ([key, value]) => {
          const info = await getJson<ReplicasBody>(`${url(via)}/debug/replicas/${ns}/${key}`);
          assert.equal(info.namespace, ns);
          const ids = info.replicas.map((r) => r.id);
          assert.equal(ids.length, replicas, `${ns}/${key} has ${replicas} replicas: ${JSON.stringify(ids)}`);
          assert.equal(new Set(ids).size, replicas, `${ns}/${key}'s replicas are distinct nodes`);
          assert.deepEqual(
            ids,
            ring.owners[info.partition]?.slice(0, replicas),
            `${ns}/${key} lives on the first ${replicas} of partition ${info.partition}'s preference list`,
          );
          for (const r of info.replicas)
            assert.deepEqual(
              r.values?.map((v) => Buffer.from(v, "base64").toString()),
              [value],
              `${ns}/${key} on ${r.id}: ${JSON.stringify(r)}`,
            );
        }),
      );
  }

  return { put, setProps, configure, requireN, writeAll, readAll, copiesByNode, waitCopies, checkPlacement };
}

function keysNamed(prefix: string, from: number, to: number): Written {
  return new Map(
    Array.from({ length: to - from }, (_, i) => [`${prefix}${from + i}`, `${prefix}-value-${from + i}`]),
  );
}

/**
 * A namespace's own n on 5 real processes (N=3): n=1 and n=5 next to the cluster's N=3. Each key
 * lives on the first n nodes of its partition's preference list, and every path keeps exactly n
 * copies: writes, hints and anti-entropy for a replica that was down, transfer and reclaim when a
 * node joins, listing. "Exactly n copies" is the sum over nodes of GET /stats namespaceKeys.
 */
describe("a namespace's n other than N on 5 processes (N=3, R=2, W=2)", { timeout: 420_000 }, () => {
  const { cluster, track, url } = useCluster({ nodes: 5, n: 3, r: 2, w: 2, partitions: 64 });
  const h = helpers(url);
  const ids = ["n1", "n2", "n3", "n4", "n5"];
  const KEYS = 60;
  const one = keysNamed("o", 0, KEYS);
  const five = keysNamed("f", 0, KEYS);
  const plain = keysNamed("d", 0, KEYS);
  const copies = (): Record<string, number> => ({
    default: plain.size * 3,
    five: five.size * 5,
    one: one.size,
  });

  test("keys of n=1, n=5 and the default namespace live on exactly their first n replicas", () =>
    track(async () => {
      await h.configure("n1", "one", { n: 1, r: 1, w: 1 }, ids);
      await h.configure("n2", "five", { n: 5, r: 3, w: 3 }, ids);
      for (const ns of ["one", "five"]) {
        const body = await getJson<NamespaceBody>(`${url("n3")}/namespaces/${ns}`);
        assert.deepEqual(
          [body.n, body.r, body.w],
          ns === "one" ? [1, 1, 1] : [5, 3, 3],
          `${ns}'s n, r, w as n3 answers`,
        );
      }
      await h.writeAll("one", one, ids);
      await h.writeAll("five", five, [...ids].reverse());
      await h.writeAll("default", plain, ["n3", "n1", "n4", "n2", "n5"]);
      await h.waitCopies("after the writes", ids, copies(), 60_000);
      await h.checkPlacement("one", one, 1, "n2");
      await h.checkPlacement("five", five, 5, "n3");
      await h.checkPlacement("default", plain, 3, "n4");
    }));

  test("writes to n=5 while a node is down reach it once it restarts (hints, anti-entropy)", () =>
    track(async () => {
      await h.requireN("five", 5);
      await cluster.kill("n4");
      await waitStatus(url("n1"), "n4", "down");
      const more = keysNamed("f", KEYS, KEYS + 30);
      await h.writeAll("five", more, ["n1", "n2", "n3", "n5"], "?w=3");
      for (const [key, value] of more) five.set(key, value);
      await cluster.restart("n4");
      await cluster.waitConverged();
      await h.waitCopies("after n4 restarted", ids, copies(), 90_000);
      await h.checkPlacement("five", more, 5, "n4");
      for (const [ns, keys] of [
        ["one", one],
        ["five", five],
        ["default", plain],
      ] as const)
        await h.readAll(ns, keys, ids);
    }));

  test("a sixth node joins: each namespace still has exactly n copies per key, on its first n, all readable", () =>
    track(async () => {
      await h.requireN("one", 1);
      await h.requireN("five", 5);
      await cluster.addNode("n6");
      ids.push("n6");
      await waitFor(
        "n6 active and owning partitions, no ring change pending",
        async () => {
          const { members } = await getJson<{ members: Member[] }>(`${url("n1")}/cluster/members`);
          if (
            !ids.every((id) => members.some((m) => m.id === id && m.state === "active" && m.status === "up"))
          )
            return false;
          const ring = await getJson<{ owners: string[][]; next?: unknown }>(`${url("n1")}/cluster/ring`);
          const primaries = new Set(ring.owners.map((list) => list[0]));
          return (ring.next ?? null) === null && ids.every((id) => primaries.has(id));
        },
        120_000,
      );
      await cluster.waitConverged(60_000);
      // The sums only match once transfer gave the joiner its copies and reclaim dropped the ones
      // a node no longer should hold (with 6 nodes a key of `five` is no longer on every node).
      await h.waitCopies("after 5 -> 6", ids, copies(), 120_000);
      const counts = await h.copiesByNode(["n6"]);
      assert.ok((counts.get("n6")?.get("five") ?? 0) > 0, "the joiner holds copies of five's keys");
      await h.checkPlacement("one", one, 1, "n6");
      await h.checkPlacement("five", five, 5, "n1");
      await h.checkPlacement("default", plain, 3, "n2");
      for (const [ns, keys] of [
        ["one", one],
        ["five", five],
        ["default", plain],
      ] as const)
        await h.readAll(ns, keys, ids);
    }));

  test("GET /keys/one and /keys/five list every key once through every node", () =>
    track(async () => {
      await h.requireN("one", 1);
      await h.requireN("five", 5);
      for (const [ns, keys] of [
        ["one", one],
        ["five", five],
      ] as const) {
        const expected = [...keys.keys()].sort();
        for (const id of ids) {
          const res = await fetch(`${url(id)}/keys/${ns}?limit=10000`);
          assert.equal(res.status, 200, await res.clone().text());
          const page = (await res.json()) as { keys: string[]; next: string | null };
          assert.equal(page.next, null, `${ns} via ${id} fits one page`);
          assert.deepEqual([...page.keys].sort(), expected, `listing ${ns} via ${id}`);
        }
      }
    }));
});

/**
 * The smallest topology, 3 nodes with N=3: n=5 is more than the cluster has nodes (a key lives on
 * all 3, w=4 cannot be met), w above n is refused, n=2 keeps 2 copies and survives a node down, and
 * n cannot change once a namespace holds a key.
 */
describe("a namespace's n other than N on 3 processes (N=3, R=2, W=2)", { timeout: 240_000 }, () => {
  const { cluster, track, url } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 64 });
  const h = helpers(url);
  const ids = ["n1", "n2", "n3"];
  const wide = keysNamed("w", 0, 20);
  const pair = keysNamed("p", 0, 40);

  test("n=5 on 3 nodes: a key lives on all 3, a write with w=3 succeeds, one with w=4 gets 503", () =>
    track(async () => {
      await h.configure("n1", "wide", { n: 5 }, ids);
      await h.writeAll("wide", wide, ids, "?w=3");
      await h.waitCopies("wide written", ids, { wide: wide.size * 3 }, 60_000);
      await h.checkPlacement("wide", wide, 3, "n2");
      await h.readAll("wide", wide, ids, "?r=3");
      const res = await h.put("n2", "wide", "four", "v", "?w=4");
      const body = (await res.json()) as ErrorBody;
      assert.equal(res.status, 503, JSON.stringify(body));
      assert.equal(body.error, "unavailable");
      assert.equal(body.needed, 4, JSON.stringify(body));
      assert.ok(typeof body.acked === "number" && body.acked < 4, `acked below 4: ${JSON.stringify(body)}`);
    }));

  test("PUT /namespaces/x with w above its n is a 400 and stores nothing", () =>
    track(async () => {
      const res = await h.setProps("n3", "x", { n: 2, w: 3 });
      const body = (await res.json()) as ErrorBody;
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(body.error, "bad_request");
      assert.match(body.message, /w=3/);
      assert.deepEqual((await getJson<NamespaceBody>(`${url("n1")}/namespaces/x`)).configured, {});
    }));

  test("n=2: two copies per key; n cannot change to another n once it holds a key (409)", () =>
    track(async () => {
      await h.configure("n2", "pair", { n: 2 }, ids);
      await h.writeAll("pair", pair, ids);
      await h.waitCopies("pair written", ids, { pair: pair.size * 2 }, 60_000);
      await h.checkPlacement("pair", pair, 2, "n1");
      for (const [id, ns, n] of [
        ["n1", "pair", 1],
        ["n2", "pair", 4],
        ["n3", "wide", 2],
      ] as const) {
        const res = await h.setProps(id, ns, { n });
        const body = (await res.json()) as ErrorBody;
        assert.equal(res.status, 409, `n=${n} on ${ns} via ${id}: ${JSON.stringify(body)}`);
        assert.equal(body.error, "conflict");
      }
      assert.equal((await getJson<NamespaceBody>(`${url("n3")}/namespaces/pair`)).n, 2, "pair keeps n=2");
    }));

  test("n=2 with one node killed: every key of pair still reads at r=1 through the other two", () =>
    track(async () => {
      await h.requireN("pair", 2);
      await cluster.kill("n3");
      await waitStatus(url("n1"), "n3", "down");
      await waitStatus(url("n2"), "n3", "down");
      await h.readAll("pair", pair, ["n1", "n2"], "?r=1");
    }));
});
