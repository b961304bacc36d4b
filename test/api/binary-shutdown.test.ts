import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AccessControl } from "../../src/api/auth/access-control.js";
import { ApiServer } from "../../src/api/http-server.js";
import { jsonReply } from "../../src/api/reply.js";
import { Router } from "../../src/api/router.js";
import { BinaryConnection } from "../../src/client/binary-connection.js";
import { ExchangeFailedError } from "../../src/client/http-exchange.js";
import { optionDefaults } from "../../src/config/node-options.js";
import { silentLogger } from "../../src/log/logger.js";
import { NodeMetrics } from "../../src/metrics/node-metrics.js";

/**
 * The client port's lifecycle with binary connections on the real ApiServer, with routes of the
 * test's own (a request that waits for the test to release it): a shutdown lets in-flight binary
 * requests finish and takes no new one, and HTTP on the same port goes on working beside binary.
 */
function server(limits: Partial<typeof optionDefaults.httpServer> = {}) {
  const metrics = new NodeMetrics(
    "n1",
    () => ({
      stores: { objects: { entries: 0 }, hints: { entries: 0 }, meta: { entries: 0 } },
      diskBytes: 0,
    }),
    { processMetrics: false },
  );
  const released: (() => void)[] = [];
  const started: string[] = [];
  const api = new ApiServer({
    nodeId: "n1",
    router: new Router([
      {
        name: "health",
        pattern: ["slow", ":tag"],
        methods: {
          GET: async (ctx) => {
            const tag = ctx.params[0] ?? "";
            started.push(tag);
            await new Promise<void>((resolve) => released.push(resolve));
            return jsonReply(200, { tag });
          },
        },
      },
      { name: "health", pattern: ["fast"], methods: { GET: () => jsonReply(200, { fast: true }) } },
    ]),
    limits: { ...optionDefaults.httpServer, ...limits },
    valueBytesMax: 1024 * 1024,
    logger: silentLogger(),
    metrics,
    access: new AccessControl(
      {
        auth: "none",
        metricsPublic: false,
        failures: { failuresPerSourceMax: 20, windowMs: 60_000, sourcesMax: 100 },
      },
      {
        adminTokenHash: undefined,
        tokens: () => undefined,
        nowMs: () => Date.now(),
        logger: silentLogger(),
        metrics,
      },
    ),
  });
  return { api, released, started };
}

async function open(port: number): Promise<BinaryConnection> {
  return BinaryConnection.open({
    url: new URL(`http://127.0.0.1:${port}`),
    ca: undefined,
    connectTimeoutMs: 5_000,
    answerBytesMax: 1024 * 1024,
    idleTimeoutMs: 60_000,
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe("client port: binary connections through a shutdown, beside HTTP", () => {
  test("HTTP and binary requests are served side by side on one port, each over its own connection", async () => {
    const { api } = server();
    const bound = await api.start({ host: "127.0.0.1", port: 0 });
    try {
      const connection = await open(bound.port);
      const [http, binary] = await Promise.all([
        fetch(`http://127.0.0.1:${bound.port}/fast`).then(async (r) => ({
          status: r.status,
          body: await r.text(),
        })),
        connection.request("GET", "/fast", {}, undefined, 5_000),
      ]);
      assert.equal(http.status, 200);
      assert.equal(binary.status, 200);
      assert.equal(binary.body.toString(), http.body);
      assert.equal(binary.headers["content-type"], "application/json; charset=utf-8");
      const missing = await connection.request("GET", "/nothing-here", {}, undefined, 5_000);
      assert.equal(missing.status, 404);
      assert.equal((JSON.parse(missing.body.toString()) as { error: string }).error, "not_found");
      connection.close();
    } finally {
      await api.stop();
    }
  });

  test("a shutdown answers the binary requests in flight, takes no new one, then closes", async () => {
    const { api, released, started } = server({ shutdownGraceMs: 5_000 });
    const bound = await api.start({ host: "127.0.0.1", port: 0 });
    const connection = await open(bound.port);
    const first = connection.request("GET", "/slow/a", {}, undefined, 5_000);
    const second = connection.request("GET", "/slow/b", {}, undefined, 5_000);
    await until("both requests to start", () => started.length === 2);
    const stopped = api.stop();
    // Sent after the shutdown began: never handled.
    const late = connection.request("GET", "/slow/late", {}, undefined, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const release of released) release();
    const answers = await Promise.all([first, second]);
    assert.deepEqual(
      answers.map((a) => [a.status, JSON.parse(a.body.toString()) as unknown]),
      [
        [200, { tag: "a" }],
        [200, { tag: "b" }],
      ],
    );
    await assert.rejects(late, ExchangeFailedError);
    await stopped;
    assert.deepEqual(started, ["a", "b"], "the request sent during the shutdown was not handled");
    assert.equal(connection.isOpen, false, "the node closed the connection once its answers were out");
  });

  test("a binary connection that never sends its hello is closed after the hello timeout", async () => {
    const { api } = server({ headersTimeoutMs: 200 });
    const bound = await api.start({ host: "127.0.0.1", port: 0 });
    try {
      const { connect } = await import("node:net");
      const socket = connect({ host: "127.0.0.1", port: bound.port });
      const closedAt = new Promise<number>((resolve) => socket.on("close", () => resolve(Date.now())));
      socket.on("error", () => undefined);
      const sentAt = Date.now();
      socket.write(Buffer.from([0x00, 0x52, 0x4b, 0x56]));
      const waitedMs = (await closedAt) - sentAt;
      assert.ok(waitedMs >= 150 && waitedMs < 3_000, `closed after ${waitedMs} ms`);
    } finally {
      await api.stop();
    }
  });
});
