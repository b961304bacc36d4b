import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runCliAsync } from "../support/node-process.js";
import { startTestNode, type TestNode } from "../support/test-node.js";

describe("ringkv put/delete --if-none-match and --if-match", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.destroy();
  });
  const cli = (...args: string[]) => runCliAsync([...args, "--node", t.url]);

  test("put --if-none-match creates once; the second exits 1 saying why, and the value stays", async () => {
    const first = await cli("put", "lock", "owner-a", "--if-none-match");
    assert.equal(first.code, 0, first.stderr);
    const second = await cli("put", "lock", "owner-b", "--if-none-match", "--r", "1");
    assert.equal(second.code, 1);
    assert.match(second.stderr, /If-None-Match/);
    assert.equal((await cli("get", "lock")).stdout, "owner-a");
  });

  test("put and delete --if-match: a stale context exits 1, the printed current one applies", async () => {
    const v1 = (await cli("put", "config", "v1")).stdout.trim();
    const v2 = (await cli("put", "config", "v2", "--if-match", v1)).stdout.trim();
    assert.ok(v2.length > 0 && v2 !== v1);
    assert.equal((await cli("put", "config", "v3", "--if-match", v1)).code, 1);
    assert.equal((await cli("delete", "config", "--if-match", v1)).code, 1);
    assert.equal((await cli("get", "config")).stdout, "v2");
    assert.equal((await cli("delete", "config", "--if-match", v2)).code, 0);
    assert.equal((await cli("get", "config")).code, 1);
  });

  test("--if-none-match with --if-match is a usage error that sends nothing", async () => {
    const r = await cli("put", "both", "x", "--if-none-match", "--if-match", "AZA");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not both/);
    assert.equal((await cli("get", "both")).code, 1);
  });
});
