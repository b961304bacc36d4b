import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import {
  Agent as HttpsAgent,
  type RequestOptions as HttpsRequestOptions,
  request as httpsRequest,
} from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { TLSSocket } from "node:tls";
import { systemClock } from "../../src/clock/clock.js";
import { waitFor } from "../../src/clock/poll.js";
import { parseAddress } from "../../src/config/address.js";
import { optionDefaults } from "../../src/config/node-options.js";
import { placementFlags } from "../../src/local/index.js";
import { silentLogger } from "../../src/log/logger.js";
import { TcpTransport } from "../../src/net/tcp-transport.js";
import { NodeProcess, runCli } from "../support/node-process.js";
import { type CertFiles, makePki, type Pki } from "../support/pki.js";

/**
 * A secure 3-node cluster (mutual TLS between nodes, HTTPS, --auth required) on real processes,
 * with certificates made by plain openssl in the test: strangers of every kind fail to join or
 * read, every endpoint enforces its role, and tokens spread, are revoked, survive a full restart
 * and reach a node that joins later.
 */

interface SecureNode {
  id: string;
  dataDir: string;
  listen: string;
  http: string;
  files: CertFiles;
  process: NodeProcess | undefined;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const root = mkdtempSync(join(tmpdir(), "ringkv-security-"));
let pki: Pki;
let otherPki: Pki;
const adminToken = `${"f".repeat(16)}0123456789abcdef0123456789abcdef`;
const adminFile = join(root, "admin-token");
const nodes: SecureNode[] = [];
const processes: NodeProcess[] = [];

function secureArgs(node: SecureNode, files: CertFiles, seeds: string[]): string[] {
  return [
    ...placementFlags({ id: node.id, listen: node.listen, http: node.http, dataDir: node.dataDir, seeds }),
    "--log-level",
    "info",
    "--n",
    "3",
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
  ];
}

async function launch(node: SecureNode): Promise<void> {
  const first = nodes[0];
  const seeds = first !== undefined && first !== node && first.listen !== "127.0.0.1:0" ? [first.listen] : [];
  const p = new NodeProcess(secureArgs(node, node.files, seeds));
  processes.push(p);
  node.process = p;
  const serving = await p.serving();
  node.http = serving.http;
  node.listen = serving.listen;
}

function newNode(id: string): SecureNode {
  const node: SecureNode = {
    id,
    dataDir: join(root, "data", id),
    listen: "127.0.0.1:0",
    http: "127.0.0.1:0",
    files: pki.issue(id),
    process: undefined,
  };
  nodes.push(node);
  return node;
}

function call(
  node: SecureNode,
  method: string,
  path: string,
  options: { token?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const { host, port } = parseAddress(node.http, "http");
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port,
        method,
        path,
        ca: readFileSync(pki.ca),
        headers: {
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          ...options.headers,
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** An answer with what the TLS connection showed: the server certificate's serial, a reused socket. */
interface Served {
  status: number;
  body: string;
  serial: string;
  reusedSocket: boolean;
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function collect(res: IncomingMessage, resolve: (served: Served) => void, reusedSocket = false): void {
  const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.on("end", () =>
    resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), serial, reusedSocket }),
  );
}

function httpsAnswer(options: HttpsRequestOptions): Promise<Served> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ timeout: 10_000, ...options }, (res) =>
      collect(res, resolve, req.reusedSocket),
    );
    req.on("error", reject);
    req.end();
  });
}

/** Resolves when the answer has `status`; throws a description otherwise (for waitFor's last error). */
async function expectStatus(
  node: SecureNode,
  method: string,
  path: string,
  token: string,
  status: number,
): Promise<boolean> {
  const answer = await call(node, method, path, { token, ...(method === "PUT" ? { body: "x" } : {}) });
  if (answer.status !== status)
    throw new Error(`${node.id}: ${method} ${path} got ${answer.status} ${answer.body}`);
  return true;
}

async function createToken(node: SecureNode, name: string, role: string): Promise<string> {
  const answer = await call(node, "POST", "/admin/tokens", {
    token: adminToken,
    body: JSON.stringify({ name, role }),
  });
  assert.equal(answer.status, 201, answer.body);
  const created = JSON.parse(answer.body) as { name: string; role: string; token: string };
  assert.equal(created.name, name);
  assert.equal(created.role, role);
  return created.token;
}

async function membersSeenBy(node: SecureNode): Promise<{ id: string; state: string; status: string }[]> {
  const answer = await call(node, "GET", "/cluster/members", { token: adminToken });
  assert.equal(answer.status, 200, answer.body);
  return (JSON.parse(answer.body) as { members: { id: string; state: string; status: string }[] }).members;
}

async function waitConverged(count: number): Promise<void> {
  await waitFor(
    `${count} secure nodes active and up everywhere`,
    async () => {
      for (const node of nodes.slice(0, count)) {
        const members = await membersSeenBy(node);
        if (members.length !== count || !members.every((m) => m.state === "active" && m.status === "up"))
          return false;
      }
      return true;
    },
    60_000,
  );
}

function logsOf(): string {
  return nodes.map((n) => `===== ${n.id} =====\n${(n.process?.logs ?? "").slice(-20_000)}`).join("\n");
}

/** Runs a test body; on failure the nodes' recent logs go with the error. */
async function withLogs(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof Error) error.message = `${error.message}\n${logsOf()}`;
    throw error;
  }
}

/** A process on the peer port that is no member: a stranger, started and stopped by the test. */
async function stranger(args: string[], waitMs: number): Promise<{ logs: string; served: boolean }> {
  const p = new NodeProcess(args);
  processes.push(p);
  let served = false;
  p.serving().then(
    () => {
      served = true;
    },
    () => undefined,
  );
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  await p.ensureStopped();
  return { logs: p.logs, served };
}

describe("a secure cluster on real processes", { timeout: 300_000 }, () => {
  before(async () => {
    pki = makePki(join(root, "pki"));
    otherPki = makePki(join(root, "other-pki"), "another-ca");
    writeFileSync(adminFile, `${adminToken}\n`, { mode: 0o600 });
    for (const id of ["n1", "n2", "n3"]) await launch(newNode(id));
    await waitConverged(3);
  });

  after(async () => {
    for (const p of processes) await p.ensureStopped();
    rmSync(root, { recursive: true, force: true });
  });

  it("serves over HTTPS with mutual TLS between nodes, and writes reach every replica", async () => {
    const [n1, , n3] = nodes as [SecureNode, SecureNode, SecureNode];
    assert.equal((await call(n1, "PUT", "/kv/secure-key", { token: adminToken, body: "v1" })).status, 204);
    const read = await call(n3, "GET", "/kv/secure-key?r=3", { token: adminToken });
    assert.equal(read.status, 200);
    assert.equal(read.body, "v1");
  });

  it("refuses strangers on the peer port: plaintext, another CA, an expired certificate, a certificate for another id", async () => {
    const n1 = nodes[0] as SecureNode;
    const seed = n1.listen;
    const base = (id: string) =>
      placementFlags({
        id,
        listen: "127.0.0.1:0",
        http: "127.0.0.1:0",
        dataDir: join(root, "strangers", id),
        seeds: [seed],
      }).concat(["--log-level", "debug"]);

    // A node with no TLS at all: it never gets the cluster's settings, so it never serves.
    const plain = await stranger(base("plain"), 4000);
    assert.equal(plain.served, false, plain.logs);
    assert.match(plain.logs, /waiting for a seed/);
    assert.match(plain.logs, /mutual TLS closes plaintext connections/);

    // A node with a certificate from another CA (and that CA as its own trust).
    const foreign = otherPki.issue("n4");
    const other = await stranger(
      base("n4")
        .concat(["--peer-tls-cert", foreign.cert, "--peer-tls-key", foreign.key])
        .concat(["--peer-tls-ca", otherPki.ca]),
      4000,
    );
    assert.equal(other.served, false, other.logs);
    assert.match(other.logs, /inter-node TLS handshake failed/);

    // A node whose certificate expired refuses to start, naming the reason.
    const expired = pki.issue("n5", { expired: true });
    const refused = runCli(
      [
        "start",
        ...base("n5"),
        "--peer-tls-cert",
        expired.cert,
        "--peer-tls-key",
        expired.key,
        "--peer-tls-ca",
        pki.ca,
      ],
      { timeoutMs: 20_000 },
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--peer-tls-cert .* is not valid now/);

    // The same expired certificate in a process that does not check its own files first.
    const attacker = async (nodeId: string, files: CertFiles, ca: string): Promise<unknown> => {
      const transport = new TcpTransport(
        {
          ...optionDefaults.peerTransport,
          nodeId,
          clusterName: "ringkv",
          listen: { host: "127.0.0.1", port: 0 },
          tls: { cert: readFileSync(files.cert), key: readFileSync(files.key), ca: readFileSync(ca) },
        },
        { clock: systemClock, logger: silentLogger() },
      );
      await transport.start({ onRequest: async () => ({ type: "none" }), onMessage: () => undefined });
      try {
        await transport.request(seed, { type: "join_info" }, { timeoutMs: 3000 });
        return undefined;
      } catch (error) {
        return error;
      } finally {
        await transport.stop();
      }
    };
    const expiredError = await attacker("n5", expired, pki.ca);
    assert.ok(expiredError instanceof Error, "an expired certificate is refused");

    // A valid certificate of this CA (n6's), used by a process that claims to be n2.
    const n6 = pki.issue("n6");
    const impostor = await attacker("n2", n6, pki.ca);
    assert.ok(impostor instanceof Error, "a certificate for another id is refused");
    // The same certificate under its own id is accepted: the refusal above was the identity check.
    const honest = await attacker("n6", n6, pki.ca);
    assert.equal(honest, undefined, `n6 under its own name is answered: ${String(honest)}`);

    await waitFor(
      "n1 logged each refusal",
      async () => {
        const logs = n1.process?.logs ?? "";
        return (
          /refused inter-node connection: TLS handshake failed/.test(logs) &&
          /certificate is for CN=n6 but it claims to be node n2/.test(logs)
        );
      },
      10_000,
    );
    // Nothing joined: the cluster is still its three nodes.
    const members = await membersSeenBy(n1);
    assert.deepEqual(members.map((m) => m.id).sort(), ["n1", "n2", "n3"]);
  });

  it("enforces each role on every endpoint, and refuses cross-origin writes", async () => {
    const [n1, n2] = nodes as [SecureNode, SecureNode];
    const read = await createToken(n1, "reader", "read");
    const write = await createToken(n1, "writer", "readwrite");
    await waitFor(
      "both tokens known on n2",
      async () => (await call(n2, "GET", "/kv/a", { token: write })).status !== 401,
      5000,
    );
    const cases: [string, string, string | undefined, number][] = [
      // [method, path, token, expected status]
      ["GET", "/health", undefined, 200],
      ["GET", "/kv/nothing", undefined, 401],
      ["GET", "/cluster/members", undefined, 401],
      ["GET", "/metrics", undefined, 401],
      ["POST", "/cluster/leave", undefined, 401],
      ["GET", "/kv/nothing", "bogus.token", 401],
      ["GET", "/kv/nothing", read, 404],
      ["PUT", "/kv/role-key", read, 403],
      ["DELETE", "/kv/role-key", read, 403],
      ["GET", "/cluster/members", read, 200],
      ["GET", "/cluster/ring", read, 200],
      ["GET", "/stats", read, 200],
      ["GET", "/cluster/overview", read, 200],
      ["GET", "/ui", read, 200],
      ["GET", "/metrics", read, 403],
      ["GET", "/debug/replicas/role-key", read, 403],
      ["POST", "/cluster/leave", read, 403],
      ["POST", "/cluster/remove/n9", read, 403],
      ["GET", "/admin/tokens", read, 403],
      ["POST", "/admin/tokens", read, 403],
      ["DELETE", "/admin/tokens/writer", read, 403],
      ["PUT", "/kv/role-key", write, 204],
      ["GET", "/kv/role-key", write, 200],
      ["DELETE", "/kv/role-key", write, 204],
      ["GET", "/metrics", write, 403],
      ["POST", "/cluster/leave", write, 403],
      ["GET", "/admin/tokens", write, 403],
      ["GET", "/debug/replicas/role-key", write, 403],
      ["GET", "/metrics", adminToken, 200],
      ["GET", "/debug/replicas/role-key", adminToken, 200],
      ["GET", "/admin/tokens", adminToken, 200],
      ["POST", "/cluster/remove/n9", adminToken, 404],
    ];
    for (const [method, path, token, expected] of cases) {
      const answer = await call(n2, method, path, {
        ...(token === undefined ? {} : { token }),
        ...(method === "PUT" ? { body: "x" } : {}),
      });
      assert.equal(
        answer.status,
        expected,
        `${method} ${path} as ${token === undefined ? "nobody" : token.split(".")[0]}: ${answer.body}`,
      );
      if (expected === 401) {
        assert.match(String(answer.headers["www-authenticate"]), /^Bearer/);
        assert.equal(JSON.parse(answer.body).error, "unauthenticated");
      }
      if (expected === 403) assert.equal(JSON.parse(answer.body).error, "forbidden");
    }
    const listed = JSON.parse((await call(n2, "GET", "/admin/tokens", { token: adminToken })).body) as {
      tokens: { name: string; role: string; createdAtMs: number }[];
    };
    assert.deepEqual(
      listed.tokens.map((t) => [t.name, t.role]),
      [
        ["reader", "read"],
        ["writer", "readwrite"],
      ],
    );
    assert.ok(!JSON.stringify(listed).includes(write.split(".")[1] ?? "?"), "no secret is listed");
    // A page elsewhere cannot write through an operator's browser, even with an admin token.
    const cross = await call(n2, "POST", "/cluster/leave", {
      token: adminToken,
      headers: { origin: "https://evil.example" },
    });
    assert.equal(cross.status, 403);
    assert.match(JSON.parse(cross.body).message, /cross-origin/);
    assert.equal((await membersSeenBy(n2)).find((m) => m.id === "n2")?.state, "active", "n2 did not leave");
    // The CLI speaks HTTPS with --ca and --token.
    const cli = runCli([
      "get",
      "missing-key",
      "--node",
      `https://${n2.http}`,
      "--ca",
      pki.ca,
      "--token",
      read,
    ]);
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stderr + cli.stdout, /not found/i);
    const cliList = runCli(["token", "list", "--node", `https://${n2.http}`, "--ca", pki.ca], {
      env: { RINGKV_TOKEN: adminToken },
    });
    assert.equal(cliList.code, 0, cliList.stderr);
    assert.match(cliList.stdout, /^reader\tread\t/m);
  });

  it("reloads its certificates on SIGHUP without dropping a request in flight or an open connection", () =>
    withLogs(async () => {
      const [n1, n2, n3] = nodes as [SecureNode, SecureNode, SecureNode];
      const { host, port } = parseAddress(n1.http, "http");
      const ca = readFileSync(pki.ca);
      const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca });
      try {
        const onAgent = (path: string) =>
          httpsAnswer({ host, port, path, agent, headers: bearer(adminToken) });
        const first = await onAgent("/kv/reload-nothing");
        assert.equal(first.status, 404);
        const oldSerial = first.serial;

        // A PUT whose headers and first half go before the reload and whose second half goes after.
        const body = "before|after";
        let finish: () => void = () => undefined;
        const slow = new Promise<Served>((resolve, reject) => {
          const req = httpsRequest(
            {
              host,
              port,
              method: "PUT",
              path: "/kv/reload-key?w=3",
              ca,
              agent: false,
              headers: { ...bearer(adminToken), "content-length": String(Buffer.byteLength(body)) },
              timeout: 30_000,
            },
            (res) => collect(res, resolve),
          );
          req.on("error", reject);
          req.write(body.slice(0, 7));
          finish = () => req.end(body.slice(7));
        });

        const rotated = pki.issue("n1"); // the same file names, a new certificate (new serial)
        assert.equal(rotated.cert, n1.files.cert);
        const reloads = (n1.process?.logs ?? "").split("certificates reloaded (SIGHUP)").length;
        assert.ok(n1.process?.child.kill("SIGHUP"), "SIGHUP sent to n1 by PID");
        await waitFor(
          "n1 logged the reload",
          async () => (n1.process?.logs ?? "").split("certificates reloaded (SIGHUP)").length > reloads,
          10_000,
        );
        finish();
        const written = await slow;
        assert.equal(written.status, 204, `the request in flight across the reload: ${written.body}`);

        // The connection opened before the reload is still served (with the certificate it began with).
        const reused = await onAgent("/kv/reload-key");
        assert.equal(reused.reusedSocket, true, "the keep-alive connection survived the reload");
        assert.equal(reused.status, 200);
        assert.equal(reused.body, body);
        assert.equal(reused.serial, oldSerial);

        // A new connection gets the new certificate, and the peers still talk to n1 (w=3 through n2).
        const fresh = await httpsAnswer({
          host,
          port,
          path: "/kv/reload-key",
          ca,
          agent: false,
          headers: bearer(adminToken),
        });
        assert.equal(fresh.status, 200);
        assert.notEqual(fresh.serial, oldSerial, "a new connection is served the rotated certificate");
        assert.equal(
          (await call(n2, "PUT", "/kv/reload-after?w=3", { token: adminToken, body: "x" })).status,
          204,
        );
        assert.equal((await call(n3, "GET", "/kv/reload-after?r=3", { token: adminToken })).body, "x");
      } finally {
        agent.destroy();
      }
    }));

  it("spreads a token to every node within 5 s, revokes it everywhere, keeps tokens across a full restart and gives them to a later joiner", () =>
    withLogs(async () => {
      const [n1, n2, n3] = nodes as [SecureNode, SecureNode, SecureNode];
      const doomed = await createToken(n1, "doomed", "readwrite");
      for (const node of [n2, n3]) {
        await waitFor(
          `token doomed works on ${node.id}`,
          () => expectStatus(node, "PUT", "/kv/spread", doomed, 204),
          5000,
        );
      }
      const revoked = await call(n2, "DELETE", "/admin/tokens/doomed", { token: adminToken });
      assert.equal(revoked.status, 204);
      for (const node of [n1, n3]) {
        await waitFor(
          `token doomed refused on ${node.id}`,
          () => expectStatus(node, "GET", "/kv/spread", doomed, 401),
          5000,
        );
      }
      const kept = await createToken(n3, "kept", "read");
      for (const node of [n1, n2]) {
        await waitFor(
          `token kept works on ${node.id}`,
          () => expectStatus(node, "GET", "/kv/untouched", kept, 404),
          5000,
        );
      }
      // Every node down at once, then back: the tokens come from their own disks.
      for (const node of [n1, n2, n3]) assert.equal(await node.process?.kill("SIGTERM"), 0);
      // No secret is on disk in plaintext.
      const secret = Buffer.from(kept.split(".").pop() ?? "?");
      for (const node of [n1, n2, n3]) {
        for (const file of readdirSync(node.dataDir)) {
          assert.ok(
            !readFileSync(join(node.dataDir, file)).includes(secret),
            `${node.id}/${file} holds a secret`,
          );
        }
      }
      for (const node of [n1, n2, n3]) await launch(node);
      await waitConverged(3);
      for (const node of [n1, n2, n3]) {
        assert.equal((await call(node, "GET", "/kv/untouched", { token: kept })).status, 404, node.id);
        assert.equal((await call(node, "GET", "/kv/spread", { token: doomed })).status, 401, node.id);
      }
      // A node that joins later learns the tokens too.
      const n4 = newNode("n4");
      await launch(n4);
      await waitConverged(4);
      await waitFor(
        "token kept works on n4",
        () => expectStatus(n4, "GET", "/kv/untouched", kept, 404),
        5000,
      );
      assert.equal((await call(n4, "GET", "/kv/spread", { token: doomed })).status, 401);
    }));
});
