import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseFlags } from "../../src/cli/flags.js";
import { nodeOptionsFromFlags, startSpec } from "../../src/cli/start-command.js";
import { pollUntil } from "../../src/clock/poll.js";
import { advertisedHttpAddress, isWildcardHost } from "../../src/config/address.js";
import { ConfigError } from "../../src/errors.js";
import { NodeProcess, runCli } from "../support/node-process.js";

const options = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  nodeOptionsFromFlags(parseFlags(startSpec, ["--id", "n1", ...argv], env));

describe("--advertise-listen and --advertise-http", () => {
  test("a wildcard --listen without --advertise-listen is refused with a clear error", () => {
    assert.throws(
      () => options(["--listen", "0.0.0.0:7000"]),
      (e: unknown) => e instanceof ConfigError && /--advertise-listen/.test(e.message),
    );
    assert.throws(() => options(["--listen", "[::]:7000"]), ConfigError);
  });

  test("the environment sets them like every other start flag (a Kubernetes pod's DNS name)", () => {
    const o = options([], {
      RINGKV_LISTEN: "0.0.0.0:7000",
      RINGKV_HTTP: "0.0.0.0:8000",
      RINGKV_ADVERTISE_LISTEN: "ringkv-0.ringkv-headless.default.svc.cluster.local:7000",
      RINGKV_ADVERTISE_HTTP: "ringkv-0.ringkv-headless.default.svc.cluster.local:8000",
    });
    assert.deepEqual(o.advertiseListen, {
      host: "ringkv-0.ringkv-headless.default.svc.cluster.local",
      port: 7000,
    });
    assert.deepEqual(o.advertiseHttp, {
      host: "ringkv-0.ringkv-headless.default.svc.cluster.local",
      port: 8000,
    });
    assert.equal(options([]).advertiseListen, undefined, "absent by default");
  });

  test("an advertised address must be dialable: no wildcard, no port 0, host:port", () => {
    for (const bad of ["0.0.0.0:7000", "[::]:7000", "ringkv-0:0", "ringkv-0", ":7000"]) {
      assert.throws(() => options(["--advertise-listen", bad]), ConfigError, bad);
      assert.throws(() => options(["--advertise-http", bad]), ConfigError, bad);
    }
  });

  test("the CLI refuses a wildcard --listen at start-up with exit code 2 and names the fix", () => {
    const dataDir = join(tmpdir(), `ringkv-never-created-${process.pid}`);
    const r = runCli(["start", "--id", "n1", "--listen", "0.0.0.0:7000", "--data-dir", dataDir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--advertise-listen/);
    assert.equal(existsSync(dataDir), false, "refused before touching the disk");
  });

  test("the announced client address: explicit, else bound, else the inter-node host for a wildcard bind", () => {
    const listen = { host: "ringkv-2.ringkv-headless", port: 7000 };
    assert.deepEqual(advertisedHttpAddress({ host: "10.0.0.5", port: 8000 }, listen), {
      host: "10.0.0.5",
      port: 8000,
    });
    assert.deepEqual(advertisedHttpAddress({ host: "0.0.0.0", port: 8000 }, listen), {
      host: "ringkv-2.ringkv-headless",
      port: 8000,
    });
    assert.deepEqual(
      advertisedHttpAddress({ host: "::", port: 8000 }, listen, { host: "lb.example", port: 80 }),
      {
        host: "lb.example",
        port: 80,
      },
    );
    for (const wildcard of ["0.0.0.0", "::", "0:0:0:0:0:0:0:0"]) assert.equal(isWildcardHost(wildcard), true);
    for (const host of ["127.0.0.1", "::1", "localhost", "ringkv-0"])
      assert.equal(isWildcardHost(host), false);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

interface Member {
  id: string;
  listen: string;
  http: string;
  state: string;
  status: string;
}

describe("nodes reached by host name (real processes)", { timeout: 90_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "ringkv-advertise-"));
  const started: NodeProcess[] = [];
  after(async () => {
    for (const p of started) await p.ensureStopped();
    rmSync(root, { recursive: true, force: true });
  });

  test("a joiner started before its seed, seeded by host name, joins once the seed is up; both announce their advertised addresses", async () => {
    const listenPort = await freePort();
    const httpPort = await freePort();
    // n2 starts first: its only seed (localhost:listenPort) is not up yet, like a pod whose
    // seed pod is still starting. It must keep trying rather than give up.
    const n2 = new NodeProcess([
      "--id",
      "n2",
      "--listen",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--data-dir",
      join(root, "n2"),
      "--seeds",
      `localhost:${listenPort}`,
    ]);
    started.push(n2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(n2.child.exitCode, null, `n2 gave up while its seed was not up:\n${n2.logs}`);
    const n1 = new NodeProcess([
      "--id",
      "n1",
      "--listen",
      `127.0.0.1:${listenPort}`,
      "--advertise-listen",
      `localhost:${listenPort}`,
      "--http",
      `127.0.0.1:${httpPort}`,
      "--advertise-http",
      `localhost:${httpPort}`,
      "--data-dir",
      join(root, "n1"),
      "--n",
      "2",
      "--partitions",
      "16",
    ]);
    started.push(n1);
    assert.equal(
      await n1.url(),
      `http://localhost:${httpPort}`,
      "the serving line shows the advertised address",
    );
    const n2Url = await n2.url();
    // What n2 saw last, for the assertions below whether or not the wait succeeded.
    let members: Member[] = [];
    await pollUntil(
      async () => {
        members = ((await (await fetch(`${n2Url}/cluster/members`)).json()) as { members: Member[] }).members;
        return members.length === 2 && members.every((m) => m.state === "active" && m.status === "up")
          ? members
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const one = members.find((m) => m.id === "n1");
    assert.equal(members.length, 2, JSON.stringify(members));
    assert.ok(
      members.every((m) => m.state === "active" && m.status === "up"),
      JSON.stringify(members),
    );
    assert.equal(one?.listen, `localhost:${listenPort}`, "n1 is gossiped under its advertised name");
    assert.equal(one?.http, `localhost:${httpPort}`);
    const put = await fetch(`http://127.0.0.1:${httpPort}/kv/by-name`, { method: "PUT", body: "yes" });
    assert.equal(put.status, 204);
    assert.equal(await (await fetch(`${n2Url}/kv/by-name`)).text(), "yes");
  });
});
