import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { decodeContext } from "../../src/core/causality/index.js";
import { NodeProcess } from "../support/node-process.js";
import { testRandom } from "../support/test-seed.js";

const tmp = mkdtempSync(join(tmpdir(), "ringkv-crash-"));
const started: NodeProcess[] = [];
after(async () => {
  for (const p of started) await p.ensureStopped();
  rmSync(tmp, { recursive: true, force: true });
});

function start(dataDir: string): NodeProcess {
  const p = new NodeProcess([
    "--id",
    "n1",
    "--listen",
    "127.0.0.1:0",
    "--http",
    "127.0.0.1:0",
    "--data-dir",
    dataDir,
    "--n",
    "1",
    "--log-level",
    "info",
  ]);
  started.push(p);
  return p;
}

/**
 * Writes from several concurrent clients until `stopAfterAcks` writes were acknowledged (204),
 * then SIGKILLs the node while writes are still in flight. Returns what was acknowledged.
 */
async function writeThenKill(
  node: NodeProcess,
  round: number,
  stopAfterAcks: number,
): Promise<Map<string, string>> {
  const url = await node.url();
  const acked = new Map<string, string>();
  let next = 0;
  let killed = false;
  const worker = async (): Promise<void> => {
    while (!killed) {
      const i = next++;
      const key = `r${round}-k${i}`;
      const value = `value-${round}-${i}-${"x".repeat(i % 200)}`;
      try {
        const res = await fetch(`${url}/kv/${key}`, { method: "PUT", body: value });
        if (res.status === 204) acked.set(key, value);
        if (acked.size >= stopAfterAcks && !killed) {
          killed = true;
          await node.kill("SIGKILL");
        }
      } catch {
        // The node is gone: writes in flight at the kill were never acknowledged.
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return acked;
}

test("kill -9 of a node loses no acknowledged write: every one is there after restart", async () => {
  const dataDir = join(tmp, "n1");
  const all = new Map<string, string>();
  const killPoints = testRandom("kill points");
  for (let round = 0; round < 4; round++) {
    const node = start(dataDir);
    const acked = await writeThenKill(node, round, 300 + killPoints.below(700));
    assert.ok(acked.size >= 300);
    for (const [k, v] of acked) all.set(k, v);
  }
  const node = start(dataDir);
  const url = await node.url();
  const missing: string[] = [];
  const keys = [...all.keys()];
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(
      keys.slice(i, i + 50).map(async (key) => {
        const res = await fetch(`${url}/kv/${key}`);
        const body = await res.text();
        if (res.status !== 200 || body !== all.get(key)) missing.push(`${key}: ${res.status}`);
      }),
    );
  }
  assert.deepEqual(missing, [], `${missing.length} of ${all.size} acknowledged writes lost`);
  assert.equal(await node.kill("SIGTERM"), 0);
});

test("a clean stop keeps the node's actor; after kill -9 it writes under a new one, and the key's history keeps both", async () => {
  const dataDir = join(tmp, "actors");
  const actorOf = (node: NodeProcess): string => {
    const match = /"actor":"([^"]+)"[^\n]*"msg":"node serving"/.exec(node.logs);
    assert.ok(match?.[1], `no actor in the "node serving" line:\n${node.logs}`);
    return match[1];
  };
  const contextActors = (res: Response): string[] => {
    const header = res.headers.get("x-ringkv-context");
    assert.ok(header, "the answer carries a context");
    return decodeContext(header)
      .map(([actor]) => actor)
      .sort();
  };

  let node = start(dataDir);
  let url = await node.url();
  const first = actorOf(node);
  assert.equal((await fetch(`${url}/kv/k`, { method: "PUT", body: "one" })).status, 204);
  assert.equal(await node.kill("SIGTERM"), 0);

  node = start(dataDir);
  url = await node.url();
  assert.equal(actorOf(node), first, "a clean stop keeps the actor");
  assert.doesNotMatch(node.logs, /did not stop cleanly/);
  await node.kill("SIGKILL");

  node = start(dataDir);
  url = await node.url();
  const second = actorOf(node);
  assert.notEqual(second, first, "after kill -9 the node writes under a new actor");
  assert.match(second, /^n1@/);
  assert.match(node.logs, /the last run did not stop cleanly/);
  const read = await fetch(`${url}/kv/k`);
  assert.equal(await read.text(), "one");
  const context = read.headers.get("x-ringkv-context") ?? "";
  const put = await fetch(`${url}/kv/k`, {
    method: "PUT",
    body: "two",
    headers: { "x-ringkv-context": context },
  });
  assert.equal(put.status, 204);
  assert.deepEqual(contextActors(put), [first, second].sort());
  const after = await fetch(`${url}/kv/k`);
  assert.equal(after.status, 200, "the write with the context supersedes the old value: no siblings");
  assert.equal(await after.text(), "two");
  assert.equal(await node.kill("SIGTERM"), 0);
});
