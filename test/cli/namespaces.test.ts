import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runCliAsync } from "../support/node-process.js";
import { startTestNode, type TestNode } from "../support/test-node.js";

describe("ringkv --ns and ringkv namespaces", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.destroy();
  });
  const cli = (...args: string[]) => runCliAsync([...args, "--node", t.url]);

  test("get, put, delete and keys with --ns address the namespace's keys only", async () => {
    assert.equal((await cli("put", "k", "in a", "--ns", "a")).code, 0);
    assert.equal((await cli("put", "k", "in default")).code, 0);
    assert.equal((await cli("get", "k", "--ns", "a")).stdout, "in a");
    assert.equal((await cli("get", "k")).stdout, "in default");
    assert.equal((await cli("keys", "--ns", "a")).stdout, "k\n");
    assert.equal((await cli("delete", "k", "--ns", "a")).code, 0);
    assert.equal((await cli("get", "k", "--ns", "a")).code, 1);
    assert.equal((await cli("get", "k")).stdout, "in default");
  });

  test("namespaces set merges properties; get and list show them", async () => {
    const set = await cli("namespaces", "set", "sessions", "--ttl-seconds", "600", "--json");
    assert.equal(set.code, 0, set.stderr);
    assert.equal((JSON.parse(set.stdout) as { ttlSeconds: number }).ttlSeconds, 600);
    assert.equal((await cli("namespaces", "set", "sessions", "--max-siblings", "9")).code, 0);
    const got = await cli("namespaces", "get", "sessions");
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /ttlSeconds: 600\n/);
    assert.match(got.stdout, /maxSiblings: 9\n/);
    assert.match(got.stdout, /r: 1 \(cluster default\)/);
    const list = await cli("namespaces", "list");
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^sessions\t1\t1\t1\t600\t9$/m);
    assert.match(list.stdout, /^default\t/m);
  });

  test("a refused change exits 1 with the node's reason; a set with no property is a usage error", async () => {
    const refused = await cli("namespaces", "set", "sessions", "--r", "2");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /r=2 is more than the namespace's n=1/);
    const empty = await cli("namespaces", "set", "sessions");
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /at least one of/);
  });
});
