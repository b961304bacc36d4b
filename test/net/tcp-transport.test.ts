import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { systemClock } from "../../src/clock/clock.js";
import { waitFor } from "../../src/clock/poll.js";
import { parseAddress } from "../../src/config/address.js";
import { optionDefaults } from "../../src/config/node-options.js";
import { silentLogger } from "../../src/log/logger.js";
import { HandshakeError, ListenError, PeerUnreachableError } from "../../src/net/errors.js";
import { PROTOCOL_VERSION, TcpTransport, type TcpTransportOptions } from "../../src/net/tcp-transport.js";
import type { Message, PeerInfo, TransportHandler } from "../../src/net/transport.js";
import { type CapturedLogs, captureLogs } from "./log-capture.js";
import { frame, helloFrame, pack, RawConnection, RawServer, unusedAddress } from "./raw-peer.js";
import { runTransportSuite, type TransportOverrides } from "./transport-suite.js";

const CLUSTER = "tcp-test";

function tcpOptions(overrides: Partial<TcpTransportOptions> & TransportOverrides = {}): TcpTransportOptions {
  const { address, ...rest } = overrides;
  return {
    ...optionDefaults.peerTransport,
    nodeId: "node",
    clusterName: CLUSTER,
    listen: {
      host: "127.0.0.1",
      port: address === undefined ? 0 : parseAddress(address, "test address").port,
    },
    connectTimeoutMs: 1_000,
    handshakeTimeoutMs: 1_000,
    reconnectBackoffMinMs: 50,
    reconnectBackoffMaxMs: 200,
    ...rest,
  };
}

let nodes = 0;
runTransportSuite("TcpTransport", () => ({
  create: (overrides = {}) =>
    new TcpTransport(tcpOptions({ nodeId: `node-${++nodes}`, ...overrides }), {
      clock: systemClock,
      logger: silentLogger(),
    }),
  unreachableAddress: unusedAddress,
  close: async () => undefined,
}));

const echo: TransportHandler = {
  onRequest: async (_from: PeerInfo, message: Message) => ({ type: "echo", got: message }),
  onMessage: () => undefined,
};

describe("TcpTransport on the wire", () => {
  let transports: TcpTransport[] = [];
  let raws: Array<RawConnection | RawServer> = [];
  let logs: CapturedLogs;

  async function start(overrides: Partial<TcpTransportOptions> = {}, handler = echo): Promise<TcpTransport> {
    const transport = new TcpTransport(tcpOptions(overrides), { clock: systemClock, logger: logs.logger });
    transports.push(transport);
    await transport.start(handler);
    return transport;
  }

  async function rawConnect(address: string): Promise<RawConnection> {
    const connection = await RawConnection.connect(address);
    raws.push(connection);
    return connection;
  }

  async function rawServer(onConnection: (connection: RawConnection) => void): Promise<string> {
    const server = new RawServer(onConnection);
    raws.push(server);
    return server.listen();
  }

  /** Resolves with how long `connection` took to be closed by the other side, or rejects after `withinMs`. */
  async function closedWithin(connection: RawConnection, withinMs: number): Promise<number> {
    const startedMs = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connection still open after ${withinMs} ms`)), withinMs);
    });
    try {
      await Promise.race([connection.closed, deadline]);
    } finally {
      clearTimeout(timer);
    }
    return Date.now() - startedMs;
  }

  function warnings(): Array<Record<string, unknown>> {
    return logs.entries().filter((entry) => entry.level === 40);
  }

  beforeEach(() => {
    transports = [];
    raws = [];
    logs = captureLogs();
  });

  afterEach(async () => {
    for (const raw of raws) {
      if (raw instanceof RawServer) await raw.close();
      else raw.destroy();
    }
    await Promise.all(transports.map((transport) => transport.stop()));
  });

  test("start() on port 0 reports the port it bound, and the handshake announces it", async () => {
    const b = await start({ nodeId: "node-b" });
    const { port } = parseAddress(b.address, "bound address");
    assert.ok(port > 0);
    const raw = await rawConnect(b.address);
    await waitFor("b's handshake", () => raw.frames.length === 1);
    assert.deepEqual(raw.frames[0], {
      protocol: PROTOCOL_VERSION,
      cluster: CLUSTER,
      id: "node-b",
      address: b.address,
    });
  });

  test("start() on an address in use rejects with ListenError naming the address", async () => {
    const a = await start();
    const b = new TcpTransport(tcpOptions({ address: a.address }), {
      clock: systemClock,
      logger: logs.logger,
    });
    await assert.rejects(b.start(echo), (error: unknown) => {
      assert.ok(error instanceof ListenError, String(error));
      assert.equal(error.code, "listen_failed");
      assert.ok(error.message.includes(a.address), error.message);
      assert.match(error.message, /EADDRINUSE/);
      return true;
    });
    await b.stop();
  });

  const badFrames: Array<[string, Buffer]> = [
    ["truncated MessagePack", frame(Buffer.from([0x93, 0x01]))],
    ["the never-used MessagePack byte 0xc1", frame(Buffer.from([0xc1]))],
    ["MessagePack that is not a [kind, id, body] array", frame(pack({ type: "ping" }))],
    ["an unknown frame kind", frame(pack([99, 1, { type: "ping" }]))],
    ["a request whose body has no type", frame(pack([1, 1, { nope: true }]))],
    ["a response on a connection the peer opened", frame(pack([2, 1, { type: "pong" }]))],
  ];
  for (const [what, bytes] of badFrames) {
    test(`${what} closes that connection with a warning, and the transport keeps serving other peers`, async () => {
      const b = await start();
      const a = await start();
      const raw = await rawConnect(b.address);
      raw.write(helloFrame({ cluster: CLUSTER }));
      raw.write(bytes);
      await closedWithin(raw, 2_000);
      const warning = warnings().find((entry) => entry.msg === "closing inter-node connection");
      assert.ok(warning !== undefined, "a warning names the closed connection");
      assert.equal(typeof warning.peer, "string");
      assert.equal(typeof warning.reason, "string");
      assert.deepEqual(await a.request(b.address, { type: "still there?" }, { timeoutMs: 2_000 }), {
        type: "echo",
        got: { type: "still there?" },
      });
    });
  }

  test("a header announcing more than frameBytesMax closes the connection before any of the body is sent", async () => {
    const frameBytesMax = 64 * 1024;
    const b = await start({ frameBytesMax });
    const raw = await rawConnect(b.address);
    raw.write(helloFrame({ cluster: CLUSTER }));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(frameBytesMax + 1, 0);
    raw.write(header);
    await closedWithin(raw, 2_000);
    assert.match(String(warnings()[0]?.reason), /exceeds the limit of 65536 bytes/);
  });

  test("before its handshake a stranger may send only a small frame: a 100 KiB first frame closes the connection", async () => {
    const b = await start({ frameBytesMax: 16 * 1024 * 1024, handshakeTimeoutMs: 10_000 });
    const raw = await rawConnect(b.address);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(100 * 1024, 0);
    raw.write(header);
    await closedWithin(raw, 2_000);
    assert.match(String(warnings()[0]?.reason), /exceeds the limit of 16384 bytes/);
  });

  test("a peer that sends requests and never reads the answers stops being read: the node buffers a bounded amount", async () => {
    const frameBytesMax = 1024 * 1024;
    const answerBytes = 256 * 1024;
    let answered = 0;
    const b = await start(
      { frameBytesMax, inFlightPerPeerMax: 100_000 },
      {
        onRequest: async () => {
          answered += 1;
          return { type: "big", blob: Buffer.alloc(answerBytes, 7) };
        },
        onMessage: () => undefined,
      },
    );
    const raw = await rawConnect(b.address);
    raw.socket.pause();
    raw.write(helloFrame({ cluster: CLUSTER }));
    const requests = 2000;
    // Sent a few at a time, as a real peer would, so the node reads them as they come.
    for (let id = 1; id <= requests; id++) {
      raw.write(frame(pack([1, id, { type: "give me 256 KiB" }])));
      if (id % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Give the node time to answer everything it is willing to; the peer reads nothing.
    let last = -1;
    while (last !== answered) {
      last = answered;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    // 2000 answers are 500 MiB; what the node buffers is its write bound (one frame) plus what
    // the kernel's socket buffers hold, then it stops reading requests.
    assert.ok(answered > 0, "the node answered at first");
    assert.ok(answered < requests / 4, `the node stopped reading after ${answered} of ${requests} requests`);
    // Once the peer reads, the node reads again and answers the rest (those beyond its in-flight
    // limit with peer_overloaded): every request gets exactly one answer.
    raw.socket.resume();
    await waitFor(
      "an answer to every request once the peer reads",
      () => raw.frames.length === requests + 1,
      60_000,
    );
    const ids = new Set(raw.frames.slice(1).map((f) => (f as [number, number, unknown])[1]));
    assert.equal(ids.size, requests);
    assert.ok(answered > last, "the node read and answered more after the peer resumed");
  });

  test("garbage bytes instead of a handshake close the connection at once", async () => {
    // A long handshake timeout: the close must come from reading the bytes, not from waiting.
    const b = await start({ handshakeTimeoutMs: 10_000 });
    const http = await rawConnect(b.address);
    http.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await closedWithin(http, 2_000);
    const framedGarbage = await rawConnect(b.address);
    framedGarbage.write(frame(pack([1, 1, { type: "request before hello" }])));
    await closedWithin(framedGarbage, 2_000);
    assert.equal(warnings().length, 2);
  });

  test("a peer of another cluster that connects is closed and the reason logged", async () => {
    const b = await start();
    const raw = await rawConnect(b.address);
    raw.write(helloFrame({ cluster: "someone-else" }));
    await closedWithin(raw, 2_000);
    assert.match(String(warnings()[0]?.reason), /"someone-else"/);
  });

  test("a connection that never sends its handshake is dropped after handshakeTimeoutMs", async () => {
    const handshakeTimeoutMs = 300;
    const b = await start({ handshakeTimeoutMs });
    const raw = await rawConnect(b.address);
    const closedAfterMs = await closedWithin(raw, 3_000);
    assert.ok(closedAfterMs >= handshakeTimeoutMs - 30, `closed after ${closedAfterMs} ms`);
  });

  test("an answer that is not the protocol fails the pending request with PeerUnreachableError", async () => {
    const a = await start();
    const address = await rawServer((connection) => {
      connection.write(helloFrame({ cluster: CLUSTER }));
      connection.socket.on("data", () => {
        if (connection.frames.length === 2) connection.write(frame(Buffer.from([0x93, 0x01])));
      });
    });
    await assert.rejects(a.request(address, { type: "hi" }, { timeoutMs: 5_000 }), (error: unknown) => {
      assert.ok(error instanceof PeerUnreachableError, String(error));
      assert.match(error.reason, /MessagePack/);
      return true;
    });
  });

  test("a listener speaking protocol version 2 is refused with HandshakeError before any request is sent", async () => {
    const a = await start();
    let requestsSeen = 0;
    const address = await rawServer((connection) => {
      connection.write(helloFrame({ protocol: 2, cluster: CLUSTER }));
      connection.socket.on("data", () => {
        requestsSeen = connection.frames.length - 1;
      });
    });
    await assert.rejects(a.request(address, { type: "hi" }, { timeoutMs: 5_000 }), HandshakeError);
    assert.equal(requestsSeen, 0);
  });

  test("within the backoff after a failed connection attempt, requests fail fast without dialling", async () => {
    const reconnectBackoffMinMs = 400;
    const a = await start({ reconnectBackoffMinMs, reconnectBackoffMaxMs: 4 * reconnectBackoffMinMs });
    const server = new RawServer((connection) => connection.destroy());
    raws.push(server);
    const address = await server.listen();
    const ask = () => a.request(address, { type: "hi" }, { timeoutMs: 5_000 });
    await assert.rejects(ask(), PeerUnreachableError);
    assert.equal(server.connections.length, 1);
    const startedMs = Date.now();
    await assert.rejects(
      ask(),
      (error: unknown) => error instanceof PeerUnreachableError && /next attempt/.test(error.reason),
    );
    assert.ok(Date.now() - startedMs < reconnectBackoffMinMs / 2, "failed fast");
    assert.equal(server.connections.length, 1, "no connection attempt during the backoff");
    await sleep(reconnectBackoffMinMs + 50);
    await assert.rejects(ask(), PeerUnreachableError);
    assert.equal(server.connections.length, 2, "one attempt after the backoff");
    // The second failure doubles the wait: at 1.5 x min it is still in backoff.
    await sleep(reconnectBackoffMinMs * 1.5);
    await assert.rejects(ask(), PeerUnreachableError);
    assert.equal(server.connections.length, 2);
  });

  test("concurrent requests to one peer share one connection", async () => {
    const a = await start();
    const address = await rawServer((connection) => {
      connection.write(helloFrame({ cluster: CLUSTER }));
      let answered = 0;
      connection.socket.on("data", () => {
        for (const request of connection.frames.slice(1 + answered) as Array<[number, number, Message]>) {
          connection.write(frame(pack([2, request[1], { type: "ok", n: request[2].n }])));
          answered++;
        }
      });
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, n) => a.request(address, { type: "q", n }, { timeoutMs: 5_000 })),
    );
    assert.deepEqual(
      answers.map((answer) => answer.n),
      Array.from({ length: 20 }, (_, n) => n),
    );
    const server = raws.at(-1) as RawServer;
    assert.equal(server.connections.length, 1);
  });

  test("an idle outbound connection is closed after idleTimeoutMs and reopened by the next request", async () => {
    const a = await start({ idleTimeoutMs: 150 });
    const address = await rawServer((connection) => {
      connection.write(helloFrame({ cluster: CLUSTER }));
      connection.socket.on("data", () => {
        const last = connection.frames.at(-1) as [number, number, Message];
        if (connection.frames.length > 1) connection.write(frame(pack([2, last[1], { type: "ok" }])));
      });
    });
    const server = raws.at(-1) as RawServer;
    await a.request(address, { type: "q" }, { timeoutMs: 5_000 });
    const first = server.connections[0];
    assert.ok(first !== undefined);
    await closedWithin(first, 2_000);
    await a.request(address, { type: "q" }, { timeoutMs: 5_000 });
    assert.equal(server.connections.length, 2);
  });

  test("the transport's own frames are standard MessagePack: [kind, id, body] after a handshake map", async () => {
    const a = await start({ nodeId: "node-a" });
    const address = await rawServer((connection) => connection.write(helloFrame({ cluster: CLUSTER })));
    const server = raws.at(-1) as RawServer;
    a.send(address, { type: "gossip", bytes: new Uint8Array([1, 2, 3]) });
    await waitFor("the one-way frame", () => (server.connections[0]?.frames.length ?? 0) === 2);
    const [hello, oneWay] = server.connections[0]?.frames ?? [];
    assert.deepEqual(hello, {
      protocol: PROTOCOL_VERSION,
      cluster: CLUSTER,
      id: "node-a",
      address: a.address,
    });
    assert.deepEqual(oneWay, [4, 0, { type: "gossip", bytes: Buffer.from([1, 2, 3]) }]);
  });
});
