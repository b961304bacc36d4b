import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { NodeProcess, runCli, runCliAsync } from "../support/node-process.js";

const tmp = mkdtempSync(join(tmpdir(), "ringkv-cli-"));
const started: NodeProcess[] = [];

function startNode(args: string[], env: NodeJS.ProcessEnv = {}): NodeProcess {
  const p = new NodeProcess(args, env);
  started.push(p);
  return p;
}

after(async () => {
  for (const p of started) await p.ensureStopped();
  rmSync(tmp, { recursive: true, force: true });
});

describe("ringkv --help", () => {
  test("top-level help lists every command and exits 0", () => {
    const r = runCli(["--help"]);
    assert.equal(r.code, 0);
    for (const c of ["start", "get", "put", "delete", "status", "ring"])
      assert.match(r.stdout, new RegExp(`\\n  ${c} `));
  });

  for (const command of ["start", "get", "put", "delete", "status", "ring"]) {
    test(`ringkv ${command} --help describes its flags and exits 0`, () => {
      const r = runCli([command, "--help"]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Usage: ringkv /);
      assert.match(r.stdout, /--help/);
    });
  }

  test("an unknown command is a usage error", () => {
    const r = runCli(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });
});

describe("ringkv start refuses bad configuration with one clear line and a non-zero exit", () => {
  const cases: { name: string; args: string[]; message: RegExp }[] = [
    { name: "unknown flag", args: ["--id", "n1", "--bogus"], message: /unknown option '--bogus'/ },
    { name: "missing --id", args: [], message: /--id is required/ },
    { name: "bad id", args: ["--id", "bad id!"], message: /--id "bad id!"/ },
    {
      name: "bad --listen",
      args: ["--id", "n1", "--listen", "nonsense"],
      message: /--listen: "nonsense" is not host:port/,
    },
    {
      name: "port out of range",
      args: ["--id", "n1", "--http", "127.0.0.1:70000"],
      message: /port 70000 is out of range/,
    },
    { name: "--n 0", args: ["--id", "n1", "--n", "0"], message: /--n must be an integer in 1..64/ },
    {
      name: "--r above --n",
      args: ["--id", "n1", "--n", "3", "--r", "4"],
      message: /--r must be an integer in 1..3/,
    },
    {
      name: "non-numeric --w",
      args: ["--id", "n1", "--w", "two"],
      message: /--w must be a non-negative integer/,
    },
    {
      name: "partitions not a power of two",
      args: ["--id", "n1", "--partitions", "100"],
      message: /--partitions must be a power of two/,
    },
    {
      name: "bad --log-level",
      args: ["--id", "n1", "--log-level", "loud"],
      message: /--log-level must be one of/,
    },
    {
      name: "bad seed",
      args: ["--id", "n1", "--seeds", "127.0.0.1:7001,oops"],
      message: /--seeds: "oops" is not host:port/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = runCli(["start", ...c.args, "--data-dir", join(tmp, "never")]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, c.message);
      assert.equal(r.stderr.trim().split("\n").length, 1, `one line, got: ${r.stderr}`);
    });
  }

  test("a data dir that cannot be created", () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "x");
    const r = runCli(["start", "--id", "n1", "--http", "127.0.0.1:0", "--data-dir", join(file, "sub")]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--data-dir .* is not a writable directory \(ENOTDIR\)/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  });

  describe("an HTTP port already in use", () => {
    let blocker: Server;
    let port = 0;
    before(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const address = blocker.address();
      port = typeof address === "object" && address !== null ? address.port : 0;
    });
    after(() => {
      blocker.close();
    });
    test("exits non-zero naming the address", async () => {
      const r = await runCliAsync([
        "start",
        "--id",
        "n1",
        "--http",
        `127.0.0.1:${port}`,
        "--data-dir",
        join(tmp, "inuse"),
        "--log-level",
        "error",
      ]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`--http 127.0.0.1:${port} is already in use`));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    });
  });
});

describe("a node process: RINGKV_* environment, CLI commands, restart and clean shutdown", () => {
  const dataDir = join(tmp, "n1");
  let node: NodeProcess;
  let url = "";
  before(async () => {
    node = startNode([], {
      RINGKV_ID: "n1",
      RINGKV_HTTP: "127.0.0.1:0",
      RINGKV_DATA_DIR: dataDir,
      RINGKV_N: "1",
    });
    url = await node.url();
  });

  test("put from an argument, get it back, and see the context it printed", async () => {
    const put = await runCliAsync(["put", "fruit", "apple", "--node", url, "--content-type", "text/plain"]);
    assert.equal(put.code, 0, put.stderr);
    const context = put.stdout.trim();
    assert.ok(context.length > 0);
    const get = await runCliAsync(["get", "fruit", "--node", url, "--verbose"]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, "apple");
    assert.match(get.stderr, new RegExp(`context: ${context.replace(/[-/\\^$*+?.()|[\]{}]/g, "\\$&")}`));
  });

  test("put from a file and from stdin", async () => {
    const file = join(tmp, "value.bin");
    writeFileSync(file, Buffer.from([1, 2, 3, 0, 255]));
    assert.equal((await runCliAsync(["put", "from-file", "--file", file, "--node", url])).code, 0);
    const viaFile = await runCliAsync(["get", "from-file", "--node", url, "--json"]);
    assert.equal(
      (JSON.parse(viaFile.stdout) as { value: string }).value,
      Buffer.from([1, 2, 3, 0, 255]).toString("base64"),
    );
    assert.equal((await runCliAsync(["put", "from-stdin", "--node", url], { input: "piped value" })).code, 0);
    assert.equal((await runCliAsync(["get", "from-stdin", "--node", url])).stdout, "piped value");
  });

  test("siblings from two context-less puts are shown, and a put with the printed context resolves them", async () => {
    await runCliAsync(["put", "pair", "left", "--node", url]);
    await runCliAsync(["put", "pair", "right", "--node", url]);
    const json = JSON.parse((await runCliAsync(["get", "pair", "--node", url, "--json"])).stdout) as {
      status: number;
      context: string;
    };
    assert.equal(json.status, 300);
    const shown = await runCliAsync(["get", "pair", "--node", url]);
    assert.match(shown.stdout, /sibling 1/);
    assert.match(shown.stdout, /left/);
    assert.match(shown.stdout, /right/);
    await runCliAsync(["put", "pair", "both", "--context", json.context, "--node", url]);
    assert.equal((await runCliAsync(["get", "pair", "--node", url])).stdout, "both");
  });

  test("delete, then get exits 1 with not found", async () => {
    assert.equal((await runCliAsync(["delete", "fruit", "--node", url])).code, 0);
    const r = await runCliAsync(["get", "fruit", "--node", url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not found \(deleted; context /);
  });

  test("status shows the node, its state and the ring", async () => {
    const r = await runCliAsync(["status", "--node", url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /node n1 at .*: ok/);
    assert.match(r.stdout, /Q=256 N=1 R=1 W=1/);
    assert.match(r.stdout, /n1\s+-\s+active\s+up\s+256/);
  });

  test("an unreachable --node is one clear line and exit 1", async () => {
    const r = await runCliAsync(["get", "k", "--node", "http://127.0.0.1:1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach http:\/\/127.0.0.1:1/);
  });

  test("a server-side error is shown with its message", async () => {
    const r = await runCliAsync(["get", "k", "--node", url, "--r", "5"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /r must be an integer in 1..1/);
  });

  test("SIGTERM shuts down cleanly with exit 0: a request in flight finishes first, and a restart keeps the data and refuses conflicts", async () => {
    // A PUT whose body is still arriving when SIGTERM comes must be completed and acknowledged.
    const { hostname, port } = new URL(url);
    const req = request({
      hostname,
      port,
      method: "PUT",
      path: "/kv/in-flight",
      headers: { "transfer-encoding": "chunked" },
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
    });
    req.write("first half, ");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exit = node.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    req.end("second half");
    assert.equal(await answered, 204);
    assert.equal(await exit, 0);
    assert.match(node.logs, /"msg":"node stopped"/);
    const conflicting = await runCliAsync([
      "start",
      "--id",
      "n1",
      "--http",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--n",
      "3",
    ]);
    assert.equal(conflicting.code, 2);
    assert.match(conflicting.stderr, /--n 3 conflicts with the cluster's n=1/);
    const otherId = await runCliAsync([
      "start",
      "--id",
      "n2",
      "--http",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
    ]);
    assert.equal(otherId.code, 2);
    assert.match(otherId.stderr, /belongs to node "n1"/);
    const again = startNode(["--id", "n1", "--http", "127.0.0.1:0", "--data-dir", dataDir]);
    const url2 = await again.url();
    assert.equal((await runCliAsync(["get", "pair", "--node", url2])).stdout, "both");
    assert.equal((await runCliAsync(["get", "in-flight", "--node", url2])).stdout, "first half, second half");
    assert.equal(await again.kill("SIGINT"), 0);
  });
});
