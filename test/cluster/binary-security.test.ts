import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "../../src/client/client.js";
import { NodeUnreachableError, NoNodeAvailableError, RingkvHttpError } from "../../src/client/errors.js";
import { waitFor } from "../../src/clock/poll.js";
import { parseAddress } from "../../src/config/address.js";
import { placementFlags } from "../../src/local/index.js";
import { NodeProcess } from "../support/node-process.js";
import { makePki, type Pki } from "../support/pki.js";

/**
 * The Client over the binary protocol against a secure cluster of real processes: --auth
 * required, HTTPS on the client port and mutual TLS between nodes, with certificates made by
 * openssl. Reads and writes go over binary connections (counted in /metrics, no HTTP fallback),
 * tokens are enforced on binary requests as on HTTP, and a client that does not trust the
 * nodes' CA fails with a typed error, not a hang.
 */

interface SecureNode {
  id: string;
  dataDir: string;
  listen: string;
  http: string;
  process: NodeProcess | undefined;
}

interface Answer {
  status: number;
  body: string;
}

const root = mkdtempSync(join(tmpdir(), "ringkv-binary-security-"));
const adminToken = `${"e".repeat(16)}0123456789abcdef0123456789abcdef`;
const adminFile = join(root, "admin-token");
const nodes: SecureNode[] = [];
const processes: NodeProcess[] = [];
let pki: Pki;
let otherPki: Pki;
let ca: string;

async function launch(node: SecureNode): Promise<void> {
  const first = nodes[0];
  const seeds = first !== undefined && first !== node ? [first.listen] : [];
  const files = pki.issue(node.id);
  const p = new NodeProcess([
    ...placementFlags({ id: node.id, listen: node.listen, http: node.http, dataDir: node.dataDir, seeds }),
    "--log-level",
    "info",
    "--n",
    "2",
    "--peer-tls-cert",
    files.cert,
    "--peer-tls-key",
    files.key,
    "--peer-tls-ca",
    pki.ca,
    "--http-tls-cert",
    files.cert,
    "--http-tls-key",
    files.key,
    "--auth",
    "required",
    "--admin-token-file",
    adminFile,
  ]);
  processes.push(p);
  node.process = p;
  const serving = await p.serving();
  node.http = serving.http;
  node.listen = serving.listen;
}

const urlOf = (node: SecureNode): string => `https://${node.http}`;

/** One HTTPS exchange on a connection of its own (agent: false), so connection counts stay exact. */
function call(
  node: SecureNode,
  method: string,
  path: string,
  options: { token?: string; body?: string } = {},
): Promise<Answer> {
  const { host, port } = parseAddress(node.http, "http");
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port,
        method,
        path,
        ca,
        agent: false,
        headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

interface Connections {
  binary: number;
  http: number;
}

/** Client connections every node accepted so far, by protocol; each scrape is one HTTP connection. */
async function connections(): Promise<Connections> {
  const total = { binary: 0, http: 0 };
  for (const node of nodes) {
    const answer = await call(node, "GET", "/metrics", { token: adminToken });
    assert.equal(answer.status, 200, answer.body);
    for (const protocol of ["binary", "http"] as const) {
      const line = answer.body
        .split("\n")
        .find(
          (l) => l.startsWith("ringkv_client_connections_total{") && l.includes(`protocol="${protocol}"`),
        );
      total[protocol] += line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

async function createToken(name: string, role: string): Promise<string> {
  const answer = await call(nodes[0] as SecureNode, "POST", "/admin/tokens", {
    token: adminToken,
    body: JSON.stringify({ name, role }),
  });
  assert.equal(answer.status, 201, answer.body);
  return (JSON.parse(answer.body) as { token: string }).token;
}

function logsOf(): string {
  return nodes.map((n) => `===== ${n.id} =====\n${(n.process?.logs ?? "").slice(-20_000)}`).join("\n");
}

async function withLogs(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof Error) error.message = `${error.message}\n${logsOf()}`;
    throw error;
  }
}

describe("the binary client protocol on a secure cluster (HTTPS, --auth required)", {
  timeout: 180_000,
}, () => {
  let writer = "";
  let reader = "";

  before(async () => {
    pki = makePki(join(root, "pki"));
    otherPki = makePki(join(root, "other-pki"), "another-ca");
    ca = readFileSync(pki.ca, "utf8");
    writeFileSync(adminFile, `${adminToken}\n`, { mode: 0o600 });
    for (const id of ["n1", "n2"]) {
      const node: SecureNode = {
        id,
        dataDir: join(root, "data", id),
        listen: "127.0.0.1:0",
        http: "127.0.0.1:0",
        process: undefined,
      };
      nodes.push(node);
      await launch(node);
    }
    await waitFor(
      "2 secure nodes active and up everywhere",
      async () => {
        for (const node of nodes) {
          const answer = await call(node, "GET", "/cluster/members", { token: adminToken });
          if (answer.status !== 200) return false;
          const members = (JSON.parse(answer.body) as { members: { state: string; status: string }[] })
            .members;
          if (members.length !== 2 || !members.every((m) => m.state === "active" && m.status === "up"))
            return false;
        }
        return true;
      },
      60_000,
    );
    writer = await createToken("binary-writer", "readwrite");
    reader = await createToken("binary-reader", "read");
    // Tokens reach the other node through the cluster's metadata: wait until both know them.
    await waitFor(
      "both tokens known on every node",
      async () => {
        for (const node of nodes) {
          if ((await call(node, "GET", "/kv/token-probe", { token: writer })).status !== 404) return false;
          if ((await call(node, "PUT", "/kv/token-probe", { token: reader, body: "x" })).status !== 403)
            return false;
        }
        return true;
      },
      30_000,
    );
  });

  after(async () => {
    for (const p of processes) await p.ensureStopped();
    rmSync(root, { recursive: true, force: true });
  });

  it("a Client with a token and the CA reads and writes over binary connections, with no HTTP fallback", () =>
    withLogs(async () => {
      const before = await connections();
      const client = await Client.connect({ nodes: [urlOf(nodes[0] as SecureNode)], ca, token: writer });
      try {
        for (let i = 0; i < 20; i++) await client.put(`bin-secure-${i}`, `value-${i}`);
        for (let i = 0; i < 20; i++) {
          const read = await client.get(`bin-secure-${i}`);
          assert.equal(read.status, 200);
          assert.equal(read.status === 200 && Buffer.from(read.value).toString(), `value-${i}`);
        }
        const read = await client.get("bin-secure-0");
        await client.delete("bin-secure-0", { context: read.context });
        assert.equal((await client.get("bin-secure-0")).status, 404);
      } finally {
        client.close();
      }
      const afterBinary = await connections();
      assert.ok(afterBinary.binary > before.binary, "the client opened binary connections");
      // The only new HTTP connections are this test's own scrapes of /metrics, one per node: the
      // ring reads and every key request went over binary.
      assert.equal(afterBinary.http - before.http, nodes.length, "no HTTP connection besides the scrapes");

      // The same work with protocol "http" does show up as HTTP connections: the count can tell.
      const httpClient = await Client.connect({
        nodes: [urlOf(nodes[0] as SecureNode)],
        ca,
        token: writer,
        protocol: "http",
      });
      try {
        await httpClient.put("bin-secure-http", "over http");
        assert.equal((await httpClient.get("bin-secure-http")).status, 200);
      } finally {
        httpClient.close();
      }
      const afterHttp = await connections();
      assert.equal(afterHttp.binary, afterBinary.binary, "an http client opens no binary connection");
      assert.ok(
        afterHttp.http - afterBinary.http > nodes.length,
        "an http client's requests are HTTP connections",
      );
    }));

  it("a binary GET without a token is 401 and a read-only token's PUT is 403, over binary", () =>
    withLogs(async () => {
      const before = await connections();
      const anonymous = new Client({ nodes: [urlOf(nodes[0] as SecureNode)], ca });
      try {
        await assert.rejects(
          anonymous.get("bin-secure-1"),
          (error) => error instanceof RingkvHttpError && error.status === 401,
        );
      } finally {
        anonymous.close();
      }
      const readOnly = await Client.connect({ nodes: [urlOf(nodes[0] as SecureNode)], ca, token: reader });
      try {
        const read = await readOnly.get("bin-secure-1");
        assert.equal(read.status === 200 && Buffer.from(read.value).toString(), "value-1");
        await assert.rejects(
          readOnly.put("bin-secure-1", "not allowed"),
          (error) => error instanceof RingkvHttpError && error.status === 403,
        );
      } finally {
        readOnly.close();
      }
      const after = await connections();
      assert.ok(after.binary > before.binary, "the refusals came over binary connections");
      assert.equal(after.http - before.http, nodes.length, "no HTTP connection besides the scrapes");
      // The refused write changed nothing.
      const check = await call(nodes[1] as SecureNode, "GET", "/kv/bin-secure-1", { token: adminToken });
      assert.equal(check.status, 200);
      assert.equal(check.body, "value-1");
    }));

  it("a client that does not trust the nodes' CA fails with a typed error, not a hang", () =>
    withLogs(async () => {
      const startedAt = Date.now();
      const stranger = new Client({
        nodes: nodes.map(urlOf),
        ca: readFileSync(otherPki.ca, "utf8"),
        token: writer,
      });
      try {
        await assert.rejects(
          stranger.get("bin-secure-1"),
          (error) => error instanceof NoNodeAvailableError || error instanceof NodeUnreachableError,
        );
        await assert.rejects(
          stranger.put("bin-secure-untrusted", "x"),
          (error) => error instanceof NoNodeAvailableError || error instanceof NodeUnreachableError,
        );
      } finally {
        stranger.close();
      }
      // The client's request timeout is 10 s: failing well within it means the TLS error was seen.
      const tookMs = Date.now() - startedAt;
      assert.ok(tookMs < 5_000, `failed after ${tookMs} ms`);
      await assert.rejects(
        Client.connect({ nodes: [urlOf(nodes[0] as SecureNode)], ca: readFileSync(otherPki.ca, "utf8") }),
        NoNodeAvailableError,
      );
      const check = await call(nodes[0] as SecureNode, "GET", "/kv/bin-secure-untrusted", {
        token: adminToken,
      });
      assert.equal(check.status, 404, "the untrusting client's write never reached a node");
    }));
});
