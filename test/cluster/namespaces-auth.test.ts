import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { placementFlags } from "../../src/local/index.js";
import { NodeProcess } from "../support/node-process.js";

/** With --auth required (one real process): namespaced keys take the roles of /kv/{key}; properties are admin's. */
describe("namespaces under --auth required", { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ringkv-ns-auth-"));
  const adminToken = `admin-${"x".repeat(40)}`;
  const adminFile = join(dir, "admin-token");
  writeFileSync(adminFile, `${adminToken}\n`);
  // The cluster helper polls without a token, so this one node is started and stopped here, by PID.
  let node: NodeProcess | undefined;
  let base = "";
  before(async () => {
    const flags = placementFlags({
      id: "n1",
      dataDir: join(dir, "n1"),
      listen: "127.0.0.1:0",
      http: "127.0.0.1:0",
      seeds: [],
    });
    node = new NodeProcess([
      ...flags,
      "--n",
      "1",
      "--r",
      "1",
      "--w",
      "1",
      "--auth",
      "required",
      "--admin-token-file",
      adminFile,
    ]);
    base = `http://${(await node.serving()).http}`;
  });
  after(async () => {
    await node?.ensureStopped();
    rmSync(dir, { recursive: true, force: true });
  });
  const track = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      process.stderr.write(`${node?.logs ?? ""}\n`);
      throw error;
    }
  };
  const call = (method: string, path: string, token: string | undefined, body?: string): Promise<Response> =>
    fetch(`${base}${path}`, {
      method,
      ...(body === undefined ? {} : { body }),
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
  const createToken = async (name: string, role: string): Promise<string> => {
    const r = await call("POST", "/admin/tokens", adminToken, JSON.stringify({ name, role }));
    assert.equal(r.status, 201);
    return ((await r.json()) as { token: string }).token;
  };

  test("read reads namespaced keys, readwrite writes them, only admin reads or sets properties", () =>
    track(async () => {
      const reader = await createToken("reader", "read");
      const writer = await createToken("writer", "readwrite");
      assert.equal((await call("GET", "/kv/app/k", undefined)).status, 401);
      assert.equal((await call("PUT", "/kv/app/k", reader, "v")).status, 403);
      assert.equal((await call("PUT", "/kv/app/k", writer, "v")).status, 204);
      assert.equal((await call("GET", "/kv/app/k", reader)).status, 200);
      assert.equal((await call("GET", "/keys/app", reader)).status, 200);
      assert.equal((await call("DELETE", "/kv/app/k", reader)).status, 403);
      assert.equal((await call("DELETE", "/kv/app/k", writer)).status, 204);
      for (const token of [reader, writer]) {
        assert.equal((await call("GET", "/namespaces", token)).status, 403);
        assert.equal((await call("GET", "/namespaces/app", token)).status, 403);
        assert.equal((await call("PUT", "/namespaces/app", token, '{"ttlSeconds": 5}')).status, 403);
        assert.equal((await call("GET", "/debug/replicas/app/k", token)).status, 403);
      }
      const set = await call("PUT", "/namespaces/app", adminToken, '{"ttlSeconds": 5}');
      assert.equal(set.status, 200, await set.clone().text());
      assert.equal((await call("GET", "/namespaces/app", adminToken)).status, 200);
    }));
});
