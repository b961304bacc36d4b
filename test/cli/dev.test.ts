import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { RINGKV_BIN } from "../support/node-process.js";
import { testRandom } from "../support/test-seed.js";

/** A `ringkv dev` process: its output so far, its exit, and a stop that always leaves it gone. */
interface DevRun {
  stdout(): string;
  exited: Promise<number | null>;
  /** SIGINT (dev stops its nodes by PID), then SIGKILL if it has not exited within 15 s. */
  stop(): Promise<void>;
}

/** Starts `ringkv dev ARGS` and waits until it says its cluster is ready (or exits). */
async function startDev(args: readonly string[], readyMs: number): Promise<DevRun> {
  const child = spawn(process.execPath, [RINGKV_BIN, "dev", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const run: DevRun = {
    stdout: () => stdout,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.pid === undefined) return;
      process.kill(child.pid, "SIGINT");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) {
        process.kill(child.pid, "SIGKILL");
        await exited;
      }
    },
  };
  try {
    await waitFor(
      `ringkv dev ${args.join(" ")} to print that its cluster is ready (or to exit)`,
      () => stdout.includes("Ctrl-C stops the cluster") || child.exitCode !== null,
      readyMs,
    );
  } catch (error) {
    await run.stop();
    throw error;
  }
  assert.equal(child.exitCode, null, `dev exited early with ${child.exitCode}:\n${stderr}`);
  return run;
}

test("ringkv dev starts a 3-node cluster that serves through every node, and SIGINT stops all of it", {
  timeout: 120_000,
}, async () => {
  // Below the ephemeral port range (32768+) that other tests' nodes bind with port 0.
  const basePort = 20_000 + testRandom("base port").below(10_000);
  const dev = await startDev(["--nodes", "3", "--temp", "--base-port", String(basePort)], 60_000);
  try {
    const stdout = dev.stdout();
    assert.match(stdout, /ringkv dev cluster: 3 node\(s\), N=3/);
    const urls = [...stdout.matchAll(/ {2}n\d {2}(http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => m[1] ?? "");
    assert.equal(urls.length, 3);
    const dataDir = /data in (\S+) \(temporary\)/.exec(stdout)?.[1] ?? "";
    assert.ok(existsSync(dataDir));
    const put = await fetch(`${urls[0]}/kv/greeting`, { method: "PUT", body: "hello" });
    assert.equal(put.status, 204);
    for (const url of urls) assert.equal(await (await fetch(`${url}/kv/greeting`)).text(), "hello");
    const members = (await (await fetch(`${urls[1]}/cluster/members`)).json()) as {
      members: { state: string; status: string }[];
    };
    // On a loaded CI machine a member may briefly be "suspect"; none may be down.
    assert.deepEqual(
      members.members.map((m) => m.state),
      ["active", "active", "active"],
    );
    assert.ok(
      members.members.every((m) => m.status !== "down"),
      JSON.stringify(members),
    );
    await dev.stop();
    assert.equal(await dev.exited, 0);
    for (const url of urls) await assert.rejects(fetch(url), "every node is stopped");
    assert.ok(!existsSync(dataDir), "the temporary data directory is removed");
  } finally {
    await dev.stop();
  }
});

test("ringkv dev --secure: mutual TLS, HTTPS and tokens on, and the curl it prints works", {
  timeout: 120_000,
}, async () => {
  const basePort = 20_000 + testRandom("secure base port").below(10_000);
  const dev = await startDev(["--nodes", "3", "--temp", "--secure", "--base-port", String(basePort)], 60_000);
  try {
    const stdout = dev.stdout();
    const token = /admin token: ([0-9a-f]{64})/.exec(stdout)?.[1];
    assert.ok(token !== undefined, stdout);
    const urls = [...stdout.matchAll(/ {2}n\d {2}(https:\/\/127\.0\.0\.1:\d+)/g)].map((m) => m[1] ?? "");
    assert.equal(urls.length, 3, stdout);
    // Run the printed curl commands as a newcomer would.
    const curls = stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("curl "));
    assert.equal(curls.length, 3, stdout);
    const run = (line: string): string => {
      const result = spawnSync("sh", ["-c", `${line.replace(/\s+#.*$/, "")} -s -w ' %{http_code}'`], {
        encoding: "utf8",
      });
      assert.equal(result.status, 0, `${line}: ${result.stderr}`);
      return result.stdout;
    };
    assert.match(run(curls[0] ?? ""), / 204$/);
    assert.match(run(curls[1] ?? ""), /hello 200$/);
    assert.match(run(curls[2] ?? ""), /unauthenticated.* 401$/s);
    // Plain HTTP is not served at all.
    await assert.rejects(fetch(`${(urls[0] ?? "").replace("https:", "http:")}/health`));
    await dev.stop();
    assert.equal(await dev.exited, 0);
  } finally {
    await dev.stop();
  }
});

test("ringkv dev --nodes 6 --nodes-per-host 2: three hosts as zones, every partition's replicas on three hosts", {
  timeout: 180_000,
}, async () => {
  const basePort = 20_000 + testRandom("hosts base port").below(10_000);
  const args = ["--nodes", "6", "--nodes-per-host", "2", "--partitions", "64", "--temp"];
  const dev = await startDev([...args, "--base-port", String(basePort)], 120_000);
  try {
    const stdout = dev.stdout();
    assert.match(
      stdout,
      /3 host\(s\) of up to 2 node\(s\), one zone each: every key's 3 replicas are on 3 different hosts/,
    );
    const urls = [...stdout.matchAll(/ {2}n\d {2}(http:\/\/127\.0\.0\.1:\d+) .*zone (host\d)/g)].map((m) => ({
      url: m[1] ?? "",
      zone: m[2] ?? "",
    }));
    assert.deepEqual(
      urls.map((u) => u.zone),
      ["host1", "host1", "host2", "host2", "host3", "host3"],
    );
    const members = (await (await fetch(`${urls[0]?.url}/cluster/members`)).json()) as {
      members: { id: string; zone?: string }[];
    };
    assert.deepEqual(members.members.map((m) => [m.id, m.zone]).sort(), [
      ["n1", "host1"],
      ["n2", "host1"],
      ["n3", "host2"],
      ["n4", "host2"],
      ["n5", "host3"],
      ["n6", "host3"],
    ]);
    // Once the ring has settled on all six, no partition has two home replicas on one host.
    const zoneOf = new Map(members.members.map((m) => [m.id, m.zone]));
    let owners: string[][] = [];
    await waitFor(
      "the ring to settle on six owners with no pending change",
      async () => {
        const ring = (await (await fetch(`${urls[0]?.url}/cluster/ring`)).json()) as {
          owners: string[][];
          next?: unknown;
        };
        owners = ring.owners;
        return new Set(owners.flat()).size === 6 && (ring.next === null || ring.next === undefined);
      },
      120_000,
    );
    assert.equal(owners.length, 64);
    for (const [p, home] of owners.entries())
      assert.equal(new Set(home.map((id) => zoneOf.get(id))).size, 3, `partition ${p}: ${home.join(",")}`);
    const metrics = await (await fetch(`${urls[0]?.url}/metrics`)).text();
    assert.match(metrics, /^ringkv_ring_zone_shared_partitions\{node="n1"\} 0$/m);
    await dev.stop();
    assert.equal(await dev.exited, 0);
  } finally {
    await dev.stop();
  }
});

test("ringkv dev refuses --nodes-per-host outside 1..--nodes and starts nothing", () => {
  const result = spawnSync(
    process.execPath,
    [RINGKV_BIN, "dev", "--nodes", "3", "--nodes-per-host", "4", "--temp"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /--nodes-per-host must be in 1\.\.3 \(--nodes\), got 4/);
  assert.doesNotMatch(result.stdout, /ringkv dev cluster/);
});
