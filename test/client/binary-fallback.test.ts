import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from "node:net";
import { after, describe, test } from "node:test";
import { Client, NodeUnreachableError, NoNodeAvailableError } from "../../src/client/index.js";
import {
  CLIENT_PROTOCOL_VERSION,
  decodeRequest,
  encodeNodeHello,
  PREFACE,
} from "../../src/client-wire/index.js";
import { encodeFrame, FrameDecoder } from "../../src/net/frame-codec.js";

/**
 * The client's side of the binary protocol against nodes that misbehave or are too old, each a
 * small server on 127.0.0.1 written here: what falls back to HTTP, what fails over, and what a
 * write never does (be sent twice).
 */

/** A node of an older version: HTTP only, so it answers the binary preface with a 400 and closes. */
function oldNode(): Promise<{
  server: HttpServer;
  url: string;
  requests: string[];
  clientErrors: () => number;
}> {
  const requests: string[] = [];
  let clientErrors = 0;
  const server = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => {
      if (req.method === "PUT") {
        res.writeHead(204, { "x-ringkv-context": "ctx-1", "x-ringkv-siblings": "1" }).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain", "x-ringkv-context": "ctx-0" }).end("old value");
    });
  });
  server.on("clientError", (_error, socket: Socket) => {
    clientErrors++;
    socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        clientErrors: () => clientErrors,
      }),
    ),
  );
}

/** Speaks the binary protocol's handshake, then reads requests and never answers them. */
function silentNode(): Promise<{ server: TcpServer; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createTcpServer((socket) => {
    const decoder = new FrameDecoder(1024 * 1024);
    let preface = true;
    let hello = true;
    socket.on("data", (chunk: Buffer) => {
      let rest = chunk;
      if (preface) {
        assert.deepEqual(rest.subarray(0, PREFACE.length), PREFACE);
        rest = rest.subarray(PREFACE.length);
        preface = false;
      }
      for (const payload of decoder.push(rest)) {
        if (hello) {
          hello = false;
          const answer = encodeNodeHello({
            protocol: CLIENT_PROTOCOL_VERSION,
            node: "silent",
            frameBytesMax: 1 << 20,
          });
          for (const part of encodeFrame([answer], 1 << 20)) socket.write(part);
          continue;
        }
        const request = decodeRequest(payload, 16 * 1024);
        requests.push(`${request.method} ${request.target}`);
      }
    });
    socket.on("error", () => socket.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }),
    ),
  );
}

/** Accepts connections and closes each at once, before any hello. */
function slammingNode(): Promise<{ server: TcpServer; url: string; connections: () => number }> {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    socket.destroy();
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        connections: () => connections,
      }),
    ),
  );
}

describe("Client over the binary protocol, against nodes that do not play along", () => {
  const closers: (() => void)[] = [];
  after(() => {
    for (const close of closers) close();
  });

  test("a node that does not speak it gets the request over HTTP, and is not asked in binary again at once", async () => {
    const old = await oldNode();
    closers.push(() => old.server.close());
    const client = new Client({ nodes: [old.url], protocol: "binary", attemptsMax: 1 });
    closers.push(() => client.close());
    const read = await client.get("k");
    assert.equal(read.status, 200);
    assert.equal(read.status === 200 && Buffer.from(read.value).toString(), "old value");
    assert.equal(
      old.clientErrors(),
      1,
      "the binary preface reached the old node once, as a malformed request",
    );
    const written = await client.put("k", "v", { context: read.context });
    assert.equal(written.context, "ctx-1");
    assert.deepEqual(old.requests, ["GET /kv/k", "PUT /kv/k"], "each request reached it once, over HTTP");
    assert.equal(old.clientErrors(), 1, "no second binary attempt within the recheck time");
  });

  test("a write sent on a connection that then goes silent is not retried anywhere; a read is", async () => {
    const silent = await silentNode();
    const old = await oldNode();
    closers.push(
      () => silent.server.close(),
      () => old.server.close(),
    );
    const client = new Client({ nodes: [silent.url, old.url], protocol: "binary", requestTimeoutMs: 300 });
    closers.push(() => client.close());
    await assert.rejects(client.put("w", "v"), (error: unknown) => {
      assert.ok(error instanceof NodeUnreachableError, String(error));
      assert.match((error as Error).message, /no answer within 300 ms/);
      return true;
    });
    assert.deepEqual(silent.requests, ["PUT /kv/w"]);
    assert.deepEqual(
      old.requests.filter((r) => r.startsWith("PUT")),
      [],
      "the write that may have been applied was not sent to a second node",
    );
    // The node that just failed is asked last for a while: the next read goes to the other one.
    assert.equal((await client.get("r")).status, 200);
    assert.deepEqual(silent.requests, ["PUT /kv/w"]);
    assert.ok(old.requests.includes("GET /kv/r"));
    // A read is idempotent: a fresh client asks the silent node first, then, after its timeout, the next.
    const fresh = new Client({ nodes: [silent.url, old.url], protocol: "binary", requestTimeoutMs: 300 });
    closers.push(() => fresh.close());
    assert.equal((await fresh.get("r2")).status, 200);
    assert.deepEqual(silent.requests, ["PUT /kv/w", "GET /kv/r2"]);
    assert.ok(old.requests.includes("GET /kv/r2"));
  });

  test("a connection closed before the hello sent nothing, so even a write fails over", async () => {
    const slam = await slammingNode();
    const old = await oldNode();
    closers.push(
      () => slam.server.close(),
      () => old.server.close(),
    );
    const client = new Client({ nodes: [slam.url, old.url], protocol: "binary" });
    closers.push(() => client.close());
    const written = await client.put("f", "v");
    assert.equal(written.context, "ctx-1");
    assert.ok(slam.connections() >= 1, "the first node was tried");
    assert.deepEqual(old.requests, ["PUT /kv/f"]);
  });

  test("no node at all: NoNodeAvailableError, not a hang", async () => {
    const slam = await slammingNode();
    closers.push(() => slam.server.close());
    const client = new Client({ nodes: [slam.url], protocol: "binary", attemptsMax: 2 });
    closers.push(() => client.close());
    await assert.rejects(client.get("x"), NoNodeAvailableError);
    assert.ok(slam.connections() >= 1);
  });
});
