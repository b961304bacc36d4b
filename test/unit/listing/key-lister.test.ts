import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { namespaceRange } from "../../../src/core/namespace/index.js";
import { partitionOf } from "../../../src/core/partition.js";
import { claim, preferenceList } from "../../../src/core/ring/index.js";
import { encodeStoredObject, type StoredObject } from "../../../src/core/stored-object.js";
import { QuorumError } from "../../../src/errors.js";
import {
  KeyLister,
  type KeyListerDeps,
  type ListBatch,
  type ListPage,
  listLocalKeys,
} from "../../../src/listing/index.js";
import { MemoryEngine, objectKey } from "../../../src/storage/index.js";

const PARTITIONS = 16;
const N = 3;
const IDS = ["n1", "n2", "n3", "n4"];
const owners = claim(undefined, IDS, PARTITIONS, N);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const RANGE = namespaceRange("default", new Uint8Array(0));

function object(deleted: boolean): StoredObject {
  const value = {
    value: deleted ? new Uint8Array(0) : enc("v"),
    contentType: deleted ? "" : "x",
    deleted,
    writtenAtMs: 1,
  };
  return { entries: [{ actor: "a", counter: deleted ? 2 : 1, values: [value] }] };
}

/** Four nodes' storage; `put` writes a key's copy on the given home replicas (all by default). */
class FakeCluster {
  readonly engines = new Map(IDS.map((id) => [id, new MemoryEngine()]));
  /** What a quorum read would say of a key: live or not. */
  readonly truth = new Map<string, boolean>();
  readonly down = new Set<string>();
  resolved: string[] = [];
  badBatches: string[] = [];
  corrupt: string | undefined;

  homes(key: string): string[] {
    return preferenceList(owners, partitionOf(enc(key), PARTITIONS), N);
  }

  async put(key: string, live: boolean, on: readonly string[] = this.homes(key)): Promise<void> {
    for (const id of on) {
      const engine = this.engines.get(id) as MemoryEngine;
      await engine.batch([
        {
          store: "objects",
          key: objectKey(partitionOf(enc(key), PARTITIONS), enc(key)),
          value: encodeStoredObject(object(!live)),
        },
      ]);
    }
    this.truth.set(key, live);
  }

  lister(selfId = "n1", batchKeysMax = 5): KeyLister {
    const deps: KeyListerDeps = {
      selfId,
      ring: () => ({ owners, n: N }),
      isUp: (id) => !this.down.has(id),
      partitionOf: (key) => partitionOf(key, PARTITIONS),
      batch: async (nodeId, request): Promise<ListBatch> => {
        assert.ok(!this.down.has(nodeId), `a down node (${nodeId}) was asked`);
        const batch = listLocalKeys(this.engines.get(nodeId) as MemoryEngine, request, 0);
        if (this.corrupt === nodeId) return { keys: [...batch.keys].reverse(), more: batch.more };
        return batch;
      },
      resolve: async (key) => {
        this.resolved.push(dec(key));
        return this.truth.get(dec(key)) === true;
      },
      nowMs: () => 0,
      onBadBatch: (nodeId) => this.badBatches.push(nodeId),
    };
    return new KeyLister(deps, { batchKeysMax, resolveConcurrencyMax: 3 });
  }
}

async function listAll(
  lister: KeyLister,
  limit: number,
  r = 2,
): Promise<{ keys: string[]; pages: ListPage[] }> {
  const keys: string[] = [];
  const pages: ListPage[] = [];
  let after: Uint8Array | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await lister.page({ range: RANGE, after, limit, r, timeoutMs: 1000 });
    pages.push(page);
    assert.ok(page.keys.length <= limit);
    keys.push(...page.keys.map(dec));
    if (page.next === null) return { keys, pages };
    after = page.next;
  }
  throw new Error("listing did not end");
}

describe("KeyLister", () => {
  test("replicas that agree: every live key once, in order, over pages; no read needed", async () => {
    const cluster = new FakeCluster();
    const names = Array.from({ length: 60 }, (_, i) => `key-${String(i).padStart(2, "0")}`);
    for (const [i, name] of names.entries()) await cluster.put(name, i % 6 !== 0);
    const { keys, pages } = await listAll(cluster.lister(), 7);
    assert.deepEqual(
      keys,
      names.filter((_, i) => i % 6 !== 0),
    );
    assert.ok(pages.length >= 8);
    assert.deepEqual(cluster.resolved, []);
  });

  test("keys the asked replicas disagree on are read: listed if a read finds them live", async () => {
    const cluster = new FakeCluster();
    for (let i = 0; i < 20; i++) await cluster.put(`k${i}`, true);
    // Reached one replica only (a write on its way): live once read.
    const fresh = "fresh";
    await cluster.put(fresh, true, cluster.homes(fresh).slice(0, 1));
    // Deleted on one replica, still live on the others: not live once read.
    const gone = "gone";
    await cluster.put(gone, true);
    await cluster.put(gone, false, cluster.homes(gone).slice(1, 2));
    for (const selfId of IDS) {
      cluster.resolved = [];
      const { keys } = await listAll(cluster.lister(selfId), 4, 3);
      assert.ok(keys.includes(fresh), `through ${selfId}`);
      assert.ok(!keys.includes(gone), `through ${selfId}`);
      assert.equal(keys.length, 21);
      assert.deepEqual(cluster.resolved.sort(), [fresh, gone].sort(), "exactly the two in doubt were read");
    }
  });

  test("a page whose keys in doubt turn out dead still fills up when more keys follow", async () => {
    const cluster = new FakeCluster();
    for (let i = 0; i < 10; i++) {
      const k = `a${i}`;
      await cluster.put(k, true, cluster.homes(k).slice(0, 1));
      cluster.truth.set(k, false);
    }
    for (let i = 0; i < 10; i++) await cluster.put(`b${i}`, true);
    const page = await cluster
      .lister()
      .page({ range: RANGE, after: undefined, limit: 5, r: 3, timeoutMs: 1000 });
    assert.deepEqual(page.keys.map(dec), ["b0", "b1", "b2", "b3", "b4"]);
    assert.equal(dec(page.next as Uint8Array), "b4");
  });

  test("down nodes are not asked; too few up replicas of a partition fail the page", async () => {
    const cluster = new FakeCluster();
    for (let i = 0; i < 30; i++) await cluster.put(`k${i}`, true);
    cluster.down.add("n4");
    const { keys } = await listAll(cluster.lister(), 10);
    assert.equal(keys.length, 30);
    cluster.down.add("n3");
    await assert.rejects(
      cluster.lister().page({ range: RANGE, after: undefined, limit: 10, r: 2, timeoutMs: 1000 }),
      (e) => e instanceof QuorumError && e.needed === 2,
    );
  });

  test("an answer out of order is refused and fails the page", async () => {
    const cluster = new FakeCluster();
    for (let i = 0; i < 30; i++) await cluster.put(`k${i}`, true);
    cluster.corrupt = "n2";
    await assert.rejects(
      cluster.lister().page({ range: RANGE, after: undefined, limit: 10, r: 3, timeoutMs: 1000 }),
      (e) => e instanceof QuorumError,
    );
    assert.deepEqual(cluster.badBatches, ["n2"]);
  });
});
