import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client, RingkvHttpError } from "../../src/client/index.js";
import { startTestNode, type TestNode } from "../support/test-node.js";

describe("the client library's namespaces, against a one-node cluster", () => {
  let t: TestNode;
  let client: Client;
  let inB: Client;
  before(async () => {
    t = await startTestNode();
    client = await Client.connect({ nodes: [t.url] });
    inB = await Client.connect({ nodes: [t.url], ns: "b" });
  });
  after(async () => {
    client.close();
    inB.close();
    await t.destroy();
  });

  const readText = async (c: Client, key: string, ns?: string): Promise<string | number> => {
    const read = await c.get(key, ns === undefined ? {} : { ns });
    return read.status === 200 ? Buffer.from(read.value).toString("utf8") : read.status;
  };

  test("ns on a call, and on connect as the default, address separate keys", async () => {
    await client.put("k", "default value");
    await client.put("k", "a value", { ns: "a" });
    await inB.put("k", "b value");
    assert.equal(await readText(client, "k"), "default value");
    assert.equal(await readText(client, "k", "a"), "a value");
    assert.equal(await readText(client, "k", "b"), "b value");
    assert.equal(await readText(inB, "k"), "b value");
    assert.equal(await readText(inB, "k", "default"), "default value");
    await inB.delete("k");
    assert.equal(await readText(inB, "k"), 404);
    assert.equal(await readText(client, "k", "a"), "a value");
  });

  test("keys() lists the client's namespace, or the one asked for", async () => {
    await inB.put("listed-1", "v");
    await inB.put("listed-2", "v");
    const fromB: string[] = [];
    for await (const key of inB.keys({ prefix: "listed-" })) fromB.push(key);
    assert.deepEqual(fromB, ["listed-1", "listed-2"]);
    const fromDefault: string[] = [];
    for await (const key of client.keys({ prefix: "listed-" })) fromDefault.push(key);
    assert.deepEqual(fromDefault, []);
    const asked: string[] = [];
    for await (const key of client.keys({ ns: "b", prefix: "listed-" })) asked.push(key);
    assert.deepEqual(asked, fromB);
  });

  test("setNamespace merges properties; namespace() and namespaces() show them", async () => {
    const fresh = await client.namespace("props");
    assert.equal(fresh.ttlSeconds, null);
    assert.deepEqual(fresh.configured, {});
    await client.setNamespace("props", { ttlSeconds: 300 });
    const set = await client.setNamespace("props", { maxSiblings: 4 });
    assert.deepEqual(set.configured, { ttlSeconds: 300, maxSiblings: 4 });
    assert.equal((await client.namespace("props")).ttlSeconds, 300);
    const all = await client.namespaces();
    assert.ok(all.some((n) => n.name === "props" && n.maxSiblings === 4));
    // Its writes expire by the namespace's ttlSeconds.
    await client.put("s", "v", { ns: "props" });
    const read = await client.get("s", { ns: "props" });
    assert.equal(read.status, 200);
    assert.ok(read.status === 200 && read.expiresAtMs !== undefined && read.expiresAtMs > Date.now());
  });

  test("a refused property change is a RingkvHttpError carrying the node's 400", async () => {
    await assert.rejects(client.setNamespace("props", { r: 0 }), (error: unknown) => {
      assert.ok(error instanceof RingkvHttpError);
      assert.equal(error.status, 400);
      return true;
    });
  });

  test("a bad ns on connect is refused at once", () => {
    assert.throws(() => new Client({ nodes: [t.url], ns: "no/slash" }), /namespace name/);
  });
});
