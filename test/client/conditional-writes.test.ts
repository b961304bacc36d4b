import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client, PreconditionFailedError, RingkvHttpError } from "../../src/client/index.js";
import { startTestNode, type TestNode } from "../support/test-node.js";

describe("the client library's conditional writes (one in-process node)", () => {
  let t: TestNode;
  let client: Client;
  before(async () => {
    t = await startTestNode();
    client = await Client.connect({ nodes: [t.url] });
  });
  after(async () => {
    client.close();
    await t.destroy();
  });

  test("put with ifNoneMatch creates once; the second is a PreconditionFailedError and changes nothing", async () => {
    const created = await client.put("session", "first", { ifNoneMatch: true });
    assert.ok(created.context.length > 0);
    await assert.rejects(client.put("session", "second", { ifNoneMatch: true }), (e: unknown) => {
      assert.ok(e instanceof PreconditionFailedError);
      assert.ok(e instanceof RingkvHttpError);
      assert.equal(e.status, 412);
      assert.equal(e.code, "precondition_failed");
      return true;
    });
    const read = await client.get("session");
    assert.equal(read.status, 200);
    assert.equal(read.status === 200 && Buffer.from(read.value).toString(), "first");
    assert.equal(read.context, created.context);
  });

  test("put and delete with ifMatch apply with the current context and refuse a stale one", async () => {
    const v1 = await client.put("profile", "v1");
    const v2 = await client.put("profile", "v2", { ifMatch: v1.context });
    await assert.rejects(client.put("profile", "v3", { ifMatch: v1.context }), PreconditionFailedError);
    await assert.rejects(client.delete("profile", { ifMatch: v1.context }), PreconditionFailedError);
    const read = await client.get("profile");
    assert.equal(read.status === 200 && Buffer.from(read.value).toString(), "v2");
    await client.delete("profile", { ifMatch: v2.context });
    assert.equal((await client.get("profile")).status, 404);
    // After the delete, a create-only write succeeds again.
    await client.put("profile", "v4", { ifNoneMatch: true });
    const again = await client.get("profile");
    assert.equal(again.status === 200 && Buffer.from(again.value).toString(), "v4");
  });

  test("a malformed ifMatch is a 400 RingkvHttpError, not a PreconditionFailedError", async () => {
    await assert.rejects(client.put("profile", "x", { ifMatch: "not-a-context!" }), (e: unknown) => {
      assert.ok(e instanceof RingkvHttpError && !(e instanceof PreconditionFailedError));
      assert.equal(e.status, 400);
      return true;
    });
  });
});
