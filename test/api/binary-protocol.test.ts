import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  decodeAnswer,
  decodeNodeHello,
  encodeClientHello,
  encodeRequest,
  type NodeHello,
  PREFACE,
  type WireAnswer,
} from "../../src/client-wire/index.js";
import { defaultNodeOptions, type NodeOptionsInput } from "../../src/config/node-options.js";
import { silentLogger } from "../../src/log/logger.js";
import { encodeFrame, FrameDecoder } from "../../src/net/frame-codec.js";
import { encodeValue } from "../../src/net/wire.js";
import { createNode } from "../../src/node/real-components.js";
import type { RingkvNode } from "../../src/node.js";

/**
 * The binary client protocol from the node's side, spoken by hand over a raw socket to a real
 * node (LMDB in a temp dir, the client port on 127.0.0.1): the same answers as HTTP for the key
 * routes, multiplexing, and hostile input that closes a connection (or is answered 400) without
 * harming the node, counted in /metrics.
 */

const CTX = "x-ringkv-context";
const VALUE_BYTES_MAX = 4096;
const WAIT_MS = 5_000;

interface Started {
  node: RingkvNode;
  port: number;
  url: string;
  dataDir: string;
}

async function startNode(id: string, extra: Partial<NodeOptionsInput> = {}): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), "ringkv-binary-"));
  try {
    const node = await createNode(
      defaultNodeOptions({
        id,
        listen: { host: "127.0.0.1", port: 0 },
        http: { host: "127.0.0.1", port: 0 },
        dataDir,
        cluster: { n: 1 },
        limits: { valueBytesMax: VALUE_BYTES_MAX },
        logLevel: "silent",
        ...extra,
      }),
      silentLogger(),
    );
    await node.start();
    const port = node.httpAddress.port;
    return { node, port, url: `http://127.0.0.1:${port}`, dataDir };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function stopNode(started: Started | undefined): Promise<void> {
  if (started === undefined) return;
  try {
    await started.node.stop();
  } finally {
    rmSync(started.dataDir, { recursive: true, force: true });
  }
}

function frame(payload: Uint8Array): Buffer {
  return Buffer.concat(encodeFrame([payload], Number.MAX_SAFE_INTEGER));
}

/** A hand-driven client socket: frames in order as they arrive, and when it closed. */
class RawConnection {
  private readonly decoder = new FrameDecoder(16 * 1024 * 1024);
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | undefined;
  private isClosed = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const payload of this.decoder.push(chunk)) this.frames.push(payload);
      this.waiter?.();
    });
    // A reset is one way the node ends a connection: it counts as closed here.
    socket.on("error", () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.isClosed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  /** Opens a connection and completes the hello. */
  static async ready(port: number): Promise<{ raw: RawConnection; hello: NodeHello }> {
    const raw = await RawConnection.open(port);
    raw.write(Buffer.concat([PREFACE, frame(encodeClientHello({ protocol: 1 }))]));
    return { raw, hello: decodeNodeHello(await raw.nextFrame()) };
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  async nextFrame(timeoutMs = WAIT_MS): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const payload = this.frames.shift();
      if (payload !== undefined) return payload;
      if (this.isClosed) throw new Error("the connection closed before the frame came");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  async answer(): Promise<WireAnswer> {
    return decodeAnswer(await this.nextFrame());
  }

  async request(
    id: number,
    method: string,
    target: string,
    headers: Record<string, string> = {},
    body?: Uint8Array,
  ): Promise<WireAnswer> {
    this.write(frame(encodeRequest({ id, method, target, headers, body })));
    const answer = await this.answer();
    assert.equal(answer.id, id, "the answer carries the request's id");
    return answer;
  }

  /** Resolves true if the node closed the connection within `timeoutMs`. */
  async closedWithin(timeoutMs = WAIT_MS): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([this.closed.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Frames that arrived and were not read. */
  get unread(): number {
    return this.frames.length;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function json(answer: WireAnswer): Record<string, unknown> {
  return JSON.parse(Buffer.from(answer.body ?? new Uint8Array()).toString("utf8")) as Record<string, unknown>;
}

async function metricValue(url: string, name: string, label: string, value: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(WAIT_MS) });
  assert.equal(res.status, 200);
  const text = await res.text();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!line.includes(`${label}="${value}"`)) continue;
    return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

const malformed = (url: string): Promise<number> =>
  metricValue(url, "ringkv_requests_rejected_total", "reason", "malformed_binary");
const binaryConnections = (url: string): Promise<number> =>
  metricValue(url, "ringkv_client_connections_total", "protocol", "binary");

/** Headers only node:http adds to an HTTP answer: they have no place in a binary one. */
const HTTP_ONLY_HEADERS = new Set([
  "date",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
]);

function httpHeaderNames(res: Response): string[] {
  return [...res.headers.keys()].filter((name) => !HTTP_ONLY_HEADERS.has(name)).sort();
}

describe("binary client protocol on a node's client port, spoken by hand", () => {
  let main: Started | undefined;
  let tight: Started | undefined;
  const mainNode = (): Started => {
    assert.ok(main !== undefined);
    return main;
  };
  const tightNode = (): Started => {
    assert.ok(tight !== undefined);
    return tight;
  };

  before(async () => {
    main = await startNode("bin1");
    // A node with a short hello timeout and few requests allowed in flight per connection.
    tight = await startNode("bin2", {
      httpServer: { headersTimeoutMs: 300, binaryRequestsPerConnectionMax: 4 },
    });
  });

  after(async () => {
    try {
      await stopNode(main);
    } finally {
      await stopNode(tight);
    }
  });

  /** The node still answers HTTP and a fresh binary connection (hello and a GET). */
  async function stillServes(started: Started): Promise<void> {
    const http = await fetch(`${started.url}/kv/never-written`, { signal: AbortSignal.timeout(WAIT_MS) });
    assert.equal(http.status, 404);
    await http.arrayBuffer();
    const { raw, hello } = await RawConnection.ready(started.port);
    try {
      assert.equal(hello.error, undefined);
      const answer = await raw.request(9, "GET", "/kv/never-written");
      assert.equal(answer.status, 404);
      assert.equal(json(answer).error, "not_found");
    } finally {
      raw.destroy();
    }
  }

  test("the node's hello names the node and its frame limit", async () => {
    const { raw, hello } = await RawConnection.ready(mainNode().port);
    try {
      assert.equal(hello.protocol, 1);
      assert.equal(hello.error, undefined);
      assert.ok(hello.error === undefined && hello.node === "bin1");
      assert.ok(hello.error === undefined && hello.frameBytesMax > VALUE_BYTES_MAX);
    } finally {
      raw.destroy();
    }
  });

  test("PUT, GET, HEAD and DELETE answer as HTTP does: 204 with a context, 200 with the value, no HEAD body, 404", async () => {
    const { url, port } = mainNode();
    const { raw } = await RawConnection.ready(port);
    try {
      const value = Buffer.from("binary value");
      const put = await raw.request(1, "PUT", "/kv/bin-key", { "content-type": "text/plain" }, value);
      const httpPut = await fetch(`${url}/kv/http-key`, {
        method: "PUT",
        body: value,
        headers: { "content-type": "text/plain" },
      });
      assert.equal(put.status, 204);
      assert.equal(put.status, httpPut.status);
      assert.ok((put.headers[CTX] ?? "").length > 0, "a write's answer carries its context");
      assert.deepEqual(Object.keys(put.headers).sort(), httpHeaderNames(httpPut));
      assert.equal(put.body, undefined);

      const get = await raw.request(2, "GET", "/kv/bin-key");
      const httpGet = await fetch(`${url}/kv/bin-key`);
      assert.equal(get.status, 200);
      assert.equal(httpGet.status, 200);
      assert.deepEqual(Buffer.from(get.body ?? new Uint8Array()), value);
      assert.deepEqual(Buffer.from(await httpGet.arrayBuffer()), value);
      assert.equal(get.headers["content-type"], "text/plain");
      assert.equal(get.headers[CTX], put.headers[CTX], "the read's context is the write's");
      assert.equal(get.headers[CTX], httpGet.headers.get(CTX));
      assert.deepEqual(Object.keys(get.headers).sort(), httpHeaderNames(httpGet));

      const head = await raw.request(3, "HEAD", "/kv/bin-key");
      assert.equal(head.status, 200);
      assert.equal(head.body, undefined, "a HEAD answer has no body");
      assert.equal(head.headers["content-type"], "text/plain");
      assert.equal(head.headers[CTX], put.headers[CTX]);

      const del = await raw.request(4, "DELETE", "/kv/bin-key", { [CTX]: put.headers[CTX] ?? "" });
      const httpDel = await fetch(`${url}/kv/http-key`, {
        method: "DELETE",
        headers: { [CTX]: httpPut.headers.get(CTX) ?? "" },
      });
      assert.equal(del.status, 204);
      assert.equal(httpDel.status, 204);
      assert.deepEqual(Object.keys(del.headers).sort(), httpHeaderNames(httpDel));

      const gone = await raw.request(5, "GET", "/kv/bin-key");
      const httpGone = await fetch(`${url}/kv/bin-key`);
      assert.equal(gone.status, 404);
      assert.equal(httpGone.status, 404);
      assert.deepEqual(json(gone), await httpGone.json());
      assert.equal(gone.headers["content-type"], httpGone.headers.get("content-type"));
    } finally {
      raw.destroy();
    }
  });

  test("a value over the node's value limit is a 413 value_too_large, and the connection goes on", async () => {
    const { raw } = await RawConnection.ready(mainNode().port);
    try {
      const tooLarge = await raw.request(7, "PUT", "/kv/big", {}, Buffer.alloc(VALUE_BYTES_MAX + 1, 1));
      assert.equal(tooLarge.status, 413);
      assert.equal(json(tooLarge).error, "value_too_large");
      const fits = await raw.request(8, "PUT", "/kv/big", {}, Buffer.alloc(VALUE_BYTES_MAX, 1));
      assert.equal(fits.status, 204);
    } finally {
      raw.destroy();
    }
  });

  test("200 requests written in one socket write are each answered once, under their own id, with their own value", async () => {
    const { raw } = await RawConnection.ready(mainNode().port);
    try {
      const count = 200;
      const writes: Buffer[] = [];
      for (let i = 0; i < count; i++)
        writes.push(
          frame(
            encodeRequest({
              id: i,
              method: "PUT",
              target: `/kv/mux-${i}`,
              headers: {},
              body: Buffer.from(`v${i}`),
            }),
          ),
        );
      raw.write(Buffer.concat(writes));
      const written = new Set<number>();
      for (let i = 0; i < count; i++) {
        const answer = await raw.answer();
        assert.equal(answer.status, 204, `PUT ${answer.id}`);
        assert.ok(!written.has(answer.id), `id ${answer.id} answered once`);
        written.add(answer.id);
      }
      assert.equal(written.size, count);

      const reads: Buffer[] = [];
      for (let i = 0; i < count; i++)
        reads.push(
          frame(
            encodeRequest({
              id: 1000 + i,
              method: "GET",
              target: `/kv/mux-${i}`,
              headers: {},
              body: undefined,
            }),
          ),
        );
      raw.write(Buffer.concat(reads));
      const read = new Map<number, string>();
      for (let i = 0; i < count; i++) {
        const answer = await raw.answer();
        assert.equal(answer.status, 200, `GET ${answer.id}`);
        assert.ok(!read.has(answer.id), `id ${answer.id} answered once`);
        read.set(answer.id, Buffer.from(answer.body ?? new Uint8Array()).toString());
      }
      for (let i = 0; i < count; i++) assert.equal(read.get(1000 + i), `v${i}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(raw.unread, 0, "no answer came twice");
    } finally {
      raw.destroy();
    }
  });

  test("broken streams close their connection, each counted as malformed_binary, and the node serves on", async () => {
    const { url, port } = mainNode();
    const connectionsBefore = await binaryConnections(url);
    const hello = Buffer.concat([PREFACE, frame(encodeClientHello({ protocol: 1 }))]);
    const tooLongHello = Buffer.alloc(4);
    tooLongHello.writeUInt32BE(1025, 0);
    const cases: [string, Buffer, boolean][] = [
      ["a wrong preface", Buffer.from([0x00, 0x58, 0x59, 0x5a]), false],
      ["a hello announcing more than 1 KiB", Buffer.concat([PREFACE, tooLongHello]), false],
      // 0xc1 is the one byte MessagePack never uses.
      ["bytes that are not MessagePack after the hello", frame(Buffer.from([0xc1, 0xc1, 0xc1])), true],
      ["a request that is not a 5-array", frame(encodeValue([1, "GET", "/kv/x"])), true],
      ["a request that is a map", frame(encodeValue({ id: 1, method: "GET" })), true],
    ];
    for (const [what, bytes, afterHello] of cases) {
      const before = await malformed(url);
      const raw = await RawConnection.open(port);
      try {
        if (afterHello) {
          raw.write(hello);
          const nodeHello = decodeNodeHello(await raw.nextFrame());
          assert.equal(nodeHello.error, undefined);
        }
        raw.write(bytes);
        assert.equal(await raw.closedWithin(), true, `${what}: the node closed the connection`);
        assert.equal(raw.unread, 0, `${what}: no answer`);
      } finally {
        raw.destroy();
      }
      assert.equal(await malformed(url), before + 1, `${what}: counted once as malformed_binary`);
      await stillServes(mainNode());
    }
    // One binary connection per case and one per check that the node still serves.
    assert.equal(await binaryConnections(url), connectionsBefore + 2 * cases.length);
  });

  test("a request with a good id and a bad field is answered 400 under its id, and the connection goes on", async () => {
    const { url, port } = mainNode();
    const before = await malformed(url);
    const { raw } = await RawConnection.ready(port);
    try {
      const bad: [string, string, string, Record<string, string>][] = [
        ["a lower-case method", "get", "/kv/x", {}],
        ["a target not starting with /", "GET", "kv/x", {}],
        ["a header value with a newline", "GET", "/kv/x", { "x-test": "a\nb" }],
        ["an upper-case header name", "GET", "/kv/x", { "X-Test": "a" }],
      ];
      let id = 100;
      for (const [what, method, target, headers] of bad) {
        const answer = await raw.request(++id, method, target, headers);
        assert.equal(answer.status, 400, what);
        assert.equal(json(answer).error, "bad_request", what);
      }
      // A header named __proto__ is, as docs/client-protocol.md and frames.ts have it, a header
      // like any other: answered as the plain GET it is (not 400), with no prototype polluted.
      // Written by hand: msgpackr does not emit a __proto__ key.
      const protoId = ++id;
      const proto = Buffer.concat([
        Buffer.from([0x95, protoId, 0xa3]),
        Buffer.from("GET"),
        Buffer.from([0xac]),
        Buffer.from("/kv/no-proto"),
        Buffer.from([0x81, 0xa9]),
        Buffer.from("__proto__"),
        Buffer.from([0xa8]),
        Buffer.from("polluted"),
        Buffer.from([0xc0]),
      ]);
      raw.write(frame(proto));
      const protoAnswer = await raw.answer();
      assert.equal(protoAnswer.id, protoId);
      assert.equal(protoAnswer.status, 404);
      assert.equal(json(protoAnswer).error, "not_found");
      assert.equal(
        Object.getPrototypeOf({}),
        Object.prototype,
        "the node runs in this process: no prototype was replaced",
      );
      // A header that is not a string inside a good frame.
      raw.write(frame(encodeValue([++id, "GET", "/kv/x", { "x-test": 5 }, null])));
      const numberAnswer = await raw.answer();
      assert.equal(numberAnswer.id, id);
      assert.equal(numberAnswer.status, 400);
      // The connection is still usable.
      const ok = await raw.request(++id, "GET", "/kv/never-written");
      assert.equal(ok.status, 404);
    } finally {
      raw.destroy();
    }
    assert.equal(await malformed(url), before, "answered, not counted as a broken stream");
  });

  test("a hello asking for protocol 2 gets an error hello, then the connection is closed", async () => {
    const { url, port } = mainNode();
    const raw = await RawConnection.open(port);
    try {
      raw.write(Buffer.concat([PREFACE, frame(encodeClientHello({ protocol: 2 }))]));
      const hello = decodeNodeHello(await raw.nextFrame());
      assert.equal(hello.protocol, 1);
      assert.match(hello.error ?? "", /protocol 1, not 2/);
      // A request sent now is never answered.
      raw.write(
        frame(encodeRequest({ id: 1, method: "GET", target: "/kv/x", headers: {}, body: undefined })),
      );
      assert.equal(await raw.closedWithin(), true);
      assert.equal(raw.unread, 0);
    } finally {
      raw.destroy();
    }
    await stillServes(mainNode());
    assert.ok((await binaryConnections(url)) > 0);
  });

  test("a connection that sends only the preface is closed after the hello timeout", async () => {
    const { url, port } = tightNode();
    const before = await malformed(url);
    const raw = await RawConnection.open(port);
    try {
      const sentAt = Date.now();
      raw.write(PREFACE);
      assert.equal(await raw.closedWithin(), true);
      const waitedMs = Date.now() - sentAt;
      // headersTimeoutMs is 300 on this node.
      assert.ok(waitedMs >= 250 && waitedMs < 3_000, `closed after ${waitedMs} ms`);
    } finally {
      raw.destroy();
    }
    assert.equal(await malformed(url), before + 1);
    await stillServes(tightNode());
  });

  test("requests beyond binaryRequestsPerConnectionMax in flight are answered 503 overloaded", async () => {
    const { url, port } = tightNode();
    const overloadedBefore = await metricValue(url, "ringkv_requests_rejected_total", "reason", "overloaded");
    const { raw } = await RawConnection.ready(port);
    try {
      const count = 50;
      const writes: Buffer[] = [];
      for (let i = 0; i < count; i++)
        writes.push(
          frame(
            encodeRequest({
              id: i,
              method: "PUT",
              target: `/kv/load-${i}`,
              headers: {},
              body: Buffer.from("x"),
            }),
          ),
        );
      raw.write(Buffer.concat(writes));
      const statuses = new Map<number, number>();
      for (let i = 0; i < count; i++) {
        const answer = await raw.answer();
        if (answer.status === 503) assert.equal(json(answer).error, "overloaded");
        else assert.equal(answer.status, 204);
        statuses.set(answer.id, answer.status);
      }
      assert.equal(statuses.size, count, "every request answered once");
      // The first four are taken (this node allows 4 in flight per connection).
      for (let i = 0; i < 4; i++) assert.equal(statuses.get(i), 204, `request ${i}`);
      const refused = [...statuses.values()].filter((s) => s === 503).length;
      assert.ok(refused >= 1, "some requests were refused");
      assert.ok(refused <= count - 4);
      const overloadedAfter = await metricValue(
        url,
        "ringkv_requests_rejected_total",
        "reason",
        "overloaded",
      );
      assert.equal(overloadedAfter, overloadedBefore + refused);
      // Once the load is gone the connection takes requests again.
      const again = await raw.request(999, "GET", "/kv/load-0");
      assert.equal(again.status, 200);
    } finally {
      raw.destroy();
    }
  });
});
