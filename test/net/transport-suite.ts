import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "../../src/clock/poll.js";
import { TooManySiblingsError } from "../../src/errors.js";
import {
  FrameTooLargeError,
  HandshakeError,
  PeerOverloadedError,
  PeerUnreachableError,
  RemoteError,
  RequestTimeoutError,
  TransportClosedError,
} from "../../src/net/errors.js";
import type { Message, PeerInfo, Transport, TransportHandler } from "../../src/net/transport.js";

/** What a test may choose about a node; everything else is the implementation's test default. */
export interface TransportOverrides {
  nodeId?: string;
  clusterName?: string;
  protocolVersion?: number;
  frameBytesMax?: number;
  inFlightPerPeerMax?: number;
  waitQueuePerPeerMax?: number;
  /** Listen on this address (that of a stopped transport, to restart it). */
  address?: string;
}

export interface TransportFixture {
  /** An unstarted transport. Implementations use a short reconnect backoff (at most ~200 ms). */
  create(overrides?: TransportOverrides): Transport;
  /** An address where nothing listens. */
  unreachableAddress(): Promise<string>;
  /** Called after each test, once every transport it created was stopped. */
  close(): Promise<void>;
}

/** Generous bound on how long a test waits for something that should be quick. */
const PATIENCE_MS = 3_000;

/** Records what a node's handler received; its request behaviour is set per test. */
class RecordingHandler implements TransportHandler {
  readonly requests: Array<{ from: PeerInfo; message: Message }> = [];
  readonly messages: Array<{ from: PeerInfo; message: Message }> = [];
  constructor(private readonly answer: (from: PeerInfo, message: Message) => Promise<Message>) {}

  onRequest(from: PeerInfo, message: Message): Promise<Message> {
    this.requests.push({ from, message });
    return this.answer(from, message);
  }

  onMessage(from: PeerInfo, message: Message): void {
    this.messages.push({ from, message });
  }
}

const echo = async (_from: PeerInfo, message: Message): Promise<Message> => ({ type: "echo", got: message });
const never = (): Promise<Message> => new Promise<Message>(() => undefined);

/** A promise and the function that resolves it. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * The acceptance suite every Transport passes. `makeFixture` is called once per test; every
 * transport a test creates is stopped after it, pass or fail.
 */
export function runTransportSuite(name: string, makeFixture: () => TransportFixture): void {
  describe(`Transport contract: ${name}`, () => {
    let fixture: TransportFixture;
    let started: Transport[] = [];

    async function node(
      answer: (from: PeerInfo, message: Message) => Promise<Message> = echo,
      overrides: TransportOverrides = {},
    ): Promise<{ transport: Transport; handler: RecordingHandler }> {
      const transport = fixture.create(overrides);
      const handler = new RecordingHandler(answer);
      started.push(transport);
      await transport.start(handler);
      return { transport, handler };
    }

    beforeEach(() => {
      fixture = makeFixture();
      started = [];
    });

    afterEach(async () => {
      await Promise.all(started.map((transport) => transport.stop()));
      await fixture.close();
    });

    test("a request is answered with the handler's response, and the handler sees who asked", async () => {
      const a = await node(echo, { nodeId: "node-a" });
      const b = await node(async (from, message) => ({
        type: "pong",
        n: (message.n as number) + 1,
        fromId: from.id,
        fromAddress: from.address,
      }));
      const answer = await a.transport.request(
        b.transport.address,
        { type: "ping", n: 41 },
        { timeoutMs: PATIENCE_MS },
      );
      assert.deepEqual(answer, { type: "pong", n: 42, fromId: "node-a", fromAddress: a.transport.address });
    });

    test("a one-way message reaches the peer's handler with the sender's id and address", async () => {
      const a = await node(echo, { nodeId: "node-a" });
      const b = await node();
      a.transport.send(b.transport.address, { type: "gossip", members: ["x", "y"], version: 3 });
      await waitFor("the one-way message", () => b.handler.messages.length === 1);
      assert.deepEqual(b.handler.messages[0], {
        from: { id: "node-a", address: a.transport.address },
        message: { type: "gossip", members: ["x", "y"], version: 3 },
      });
      assert.equal(b.handler.requests.length, 0);
    });

    test("the receiver gets a copy: mutating a sent message afterwards does not change what arrives", async () => {
      const a = await node();
      const b = await node();
      const message = { type: "gossip", list: [1, 2, 3] };
      a.transport.send(b.transport.address, message);
      message.list.push(4);
      await waitFor("the one-way message", () => b.handler.messages.length === 1);
      assert.deepEqual(b.handler.messages[0]?.message, { type: "gossip", list: [1, 2, 3] });
      assert.notEqual(b.handler.messages[0]?.message, message);
    });

    test("1000 one-way messages from one node arrive in the order they were sent", async () => {
      const a = await node();
      const b = await node();
      for (let seq = 0; seq < 1000; seq++) a.transport.send(b.transport.address, { type: "tick", seq });
      await waitFor("1000 one-way messages", () => b.handler.messages.length === 1000);
      const seqs = b.handler.messages.map(({ message }) => message.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: 1000 }, (_, seq) => seq),
      );
    });

    test("1000 concurrent requests are each answered with their own response", async () => {
      const a = await node(echo, { inFlightPerPeerMax: 1000 });
      // Answers come back out of order (each handler waits a different time), so only matching
      // answers to requests by id gets every one right.
      const b = await node(
        async (_from, message) => {
          const n = message.n as number;
          await sleep(n % 7);
          return { type: "square", n, square: n * n };
        },
        { inFlightPerPeerMax: 1000 },
      );
      const answers = await Promise.all(
        Array.from({ length: 1000 }, (_, n) =>
          a.transport.request(b.transport.address, { type: "square?", n }, { timeoutMs: 10_000 }),
        ),
      );
      assert.deepEqual(
        answers,
        Array.from({ length: 1000 }, (_, n) => ({ type: "square", n, square: n * n })),
      );
    });

    test("binary payloads round-trip byte for byte, up to 1 MiB", async () => {
      const a = await node();
      const b = await node(async (_from, message) => ({
        type: "bytes",
        value: message.value,
        bytes: (message.value as Uint8Array).length,
      }));
      for (const bytes of [0, 1, 255, 64 * 1024 + 3, 1024 * 1024]) {
        const value = new Uint8Array(randomBytes(bytes));
        const answer = await a.transport.request(
          b.transport.address,
          { type: "bytes?", value },
          { timeoutMs: PATIENCE_MS },
        );
        assert.equal(answer.bytes, bytes);
        assert.ok(
          answer.value instanceof Uint8Array,
          `a ${bytes}-byte value came back as ${typeof answer.value}`,
        );
        assert.equal(Buffer.compare(answer.value, value), 0, `a ${bytes}-byte value came back changed`);
      }
      const value = new Uint8Array(randomBytes(1024 * 1024));
      a.transport.send(b.transport.address, { type: "blob", value });
      await waitFor("the binary one-way message", () => b.handler.messages.length === 1);
      const arrived = b.handler.messages[0]?.message.value;
      assert.ok(arrived instanceof Uint8Array && Buffer.compare(arrived, value) === 0);
    });

    test("a handler error reaches the requester as RemoteError with its code and message, and serving goes on", async () => {
      const a = await node();
      const b = await node(async (_from, message) => {
        if (message.type === "ringkv-error") throw new TooManySiblingsError(5, 4);
        if (message.type === "plain-error") throw new Error("disk on fire");
        return { type: "fine" };
      });
      const asked = (type: string) =>
        a.transport.request(b.transport.address, { type }, { timeoutMs: PATIENCE_MS });
      await assert.rejects(asked("ringkv-error"), (error: unknown) => {
        assert.ok(error instanceof RemoteError, String(error));
        assert.equal(error.code, "remote_error");
        assert.equal(error.remoteCode, "too_many_siblings");
        assert.equal(error.remoteMessage, new TooManySiblingsError(5, 4).message);
        assert.deepEqual(error.remoteDetails, { siblings: 5, siblingsMax: 4 });
        assert.equal(error.peer, b.transport.address);
        return true;
      });
      await assert.rejects(asked("plain-error"), (error: unknown) => {
        assert.ok(error instanceof RemoteError, String(error));
        assert.equal(error.remoteCode, undefined);
        assert.equal(error.remoteMessage, "disk on fire");
        return true;
      });
      assert.deepEqual(await asked("ok"), { type: "fine" });
    });

    test("a request its handler never answers rejects with RequestTimeoutError after timeoutMs", async () => {
      const a = await node();
      const b = await node(never);
      const timeoutMs = 200;
      const startedMs = Date.now();
      await assert.rejects(
        a.transport.request(b.transport.address, { type: "slow" }, { timeoutMs }),
        (error: unknown) => {
          assert.ok(error instanceof RequestTimeoutError, String(error));
          assert.equal(error.code, "request_timeout");
          assert.equal(error.peer, b.transport.address);
          assert.equal(error.timeoutMs, timeoutMs);
          return true;
        },
      );
      const elapsedMs = Date.now() - startedMs;
      assert.ok(
        elapsedMs >= timeoutMs - 20 && elapsedMs < timeoutMs + 1_000,
        `timed out after ${elapsedMs} ms`,
      );
      assert.equal(b.handler.requests.length, 1);
    });

    test("an aborted request rejects with the signal's reason and frees its in-flight slot", async () => {
      const a = await node(echo, { inFlightPerPeerMax: 1, waitQueuePerPeerMax: 0 });
      const b = await node(async (_from, message) => (message.type === "hang" ? never() : { type: "done" }));
      const controller = new AbortController();
      const hanging = a.transport.request(
        b.transport.address,
        { type: "hang" },
        { timeoutMs: 10_000, signal: controller.signal },
      );
      await waitFor("the hanging request to arrive", () => b.handler.requests.length === 1);
      controller.abort();
      await assert.rejects(
        hanging,
        (error: unknown) => error instanceof DOMException && error.name === "AbortError",
      );
      // With one slot and no queue this would be PeerOverloadedError if the abort kept the slot.
      assert.deepEqual(
        await a.transport.request(b.transport.address, { type: "next" }, { timeoutMs: PATIENCE_MS }),
        {
          type: "done",
        },
      );
      const reason = new Error("caller gave up");
      await assert.rejects(
        a.transport.request(
          b.transport.address,
          { type: "next" },
          { timeoutMs: PATIENCE_MS, signal: AbortSignal.abort(reason) },
        ),
        (error: unknown) => error === reason,
      );
      assert.equal(
        b.handler.requests.length,
        2,
        "a request aborted before it was made never reaches the peer",
      );
    });

    test("a request to a stopped peer rejects with PeerUnreachableError or RequestTimeoutError, and others still work", async () => {
      const a = await node();
      const b = await node();
      const c = await node();
      await b.transport.stop();
      await assert.rejects(
        a.transport.request(b.transport.address, { type: "hello?" }, { timeoutMs: 1_000 }),
        (error: unknown) => error instanceof PeerUnreachableError || error instanceof RequestTimeoutError,
      );
      a.transport.send(b.transport.address, { type: "lost" });
      a.transport.send(await fixture.unreachableAddress(), { type: "lost" });
      await assert.rejects(
        a.transport.request(await fixture.unreachableAddress(), { type: "hello?" }, { timeoutMs: 1_000 }),
        (error: unknown) => error instanceof PeerUnreachableError || error instanceof RequestTimeoutError,
      );
      assert.deepEqual(
        await a.transport.request(c.transport.address, { type: "hi" }, { timeoutMs: PATIENCE_MS }),
        {
          type: "echo",
          got: { type: "hi" },
        },
      );
    });

    test("a request pending when its peer stops rejects with PeerUnreachableError well before its timeout", async () => {
      const a = await node();
      const b = await node(never);
      const startedMs = Date.now();
      const pending = a.transport.request(b.transport.address, { type: "slow" }, { timeoutMs: 10_000 });
      await waitFor("the request to arrive", () => b.handler.requests.length === 1);
      await b.transport.stop();
      await assert.rejects(pending, PeerUnreachableError);
      assert.ok(Date.now() - startedMs < 5_000);
    });

    test("requests to a peer restarted on the same address succeed again after the reconnect backoff", async () => {
      const a = await node();
      const b = await node(async () => ({ type: "from", generation: 1 }), { nodeId: "node-b" });
      const peer = b.transport.address;
      assert.deepEqual(await a.transport.request(peer, { type: "who?" }, { timeoutMs: PATIENCE_MS }), {
        type: "from",
        generation: 1,
      });
      await b.transport.stop();
      await assert.rejects(a.transport.request(peer, { type: "who?" }, { timeoutMs: 1_000 }));
      await node(async () => ({ type: "from", generation: 2 }), { nodeId: "node-b", address: peer });
      const deadline = Date.now() + PATIENCE_MS;
      let answer: Message | undefined;
      while (answer === undefined) {
        try {
          answer = await a.transport.request(peer, { type: "who?" }, { timeoutMs: 1_000 });
        } catch (error) {
          if (!(error instanceof PeerUnreachableError) || Date.now() > deadline) throw error;
          await sleep(20);
        }
      }
      assert.deepEqual(answer, { type: "from", generation: 2 });
    });

    test("with 4 requests in flight and 4 waiting, a 9th is refused with PeerOverloadedError and the 8 succeed", async () => {
      const a = await node(echo, { inFlightPerPeerMax: 4, waitQueuePerPeerMax: 4 });
      const release = latch();
      let running = 0;
      let runningMax = 0;
      const b = await node(async (_from, message) => {
        running++;
        runningMax = Math.max(runningMax, running);
        await release.promise;
        running--;
        return { type: "done", n: message.n };
      });
      const requests = Array.from({ length: 8 }, (_, n) =>
        a.transport.request(b.transport.address, { type: "work", n }, { timeoutMs: PATIENCE_MS }),
      );
      await assert.rejects(
        a.transport.request(b.transport.address, { type: "work", n: 8 }, { timeoutMs: PATIENCE_MS }),
        (error: unknown) => {
          assert.ok(error instanceof PeerOverloadedError, String(error));
          assert.equal(error.code, "peer_overloaded");
          return true;
        },
      );
      await waitFor("4 requests at the handler", () => b.handler.requests.length === 4);
      await sleep(50);
      assert.equal(b.handler.requests.length, 4, "only inFlightPerPeerMax requests reach the peer at once");
      release.open();
      const answers = await Promise.all(requests);
      assert.deepEqual(
        answers.map((answer) => answer.n),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      assert.equal(runningMax, 4);
      assert.equal(b.handler.requests.length, 8);
    });

    test("a peer of another cluster is refused with HandshakeError naming both clusters; its handler never runs", async () => {
      const a = await node(echo, { clusterName: "alpha" });
      const b = await node(echo, { clusterName: "beta" });
      await assert.rejects(
        a.transport.request(b.transport.address, { type: "hi" }, { timeoutMs: PATIENCE_MS }),
        (error: unknown) => {
          assert.ok(error instanceof HandshakeError, String(error));
          assert.equal(error.code, "handshake_failed");
          assert.match(error.message, /"beta"/);
          assert.match(error.message, /"alpha"/);
          return true;
        },
      );
      a.transport.send(b.transport.address, { type: "gossip" });
      b.transport.send(a.transport.address, { type: "gossip" });
      await sleep(100);
      assert.equal(b.handler.requests.length + b.handler.messages.length + a.handler.messages.length, 0);
    });

    test("a peer speaking another protocol version is refused with HandshakeError naming both versions", async () => {
      const a = await node();
      const b = await node(echo, { protocolVersion: 2 });
      await assert.rejects(
        a.transport.request(b.transport.address, { type: "hi" }, { timeoutMs: PATIENCE_MS }),
        (error: unknown) => {
          assert.ok(error instanceof HandshakeError, String(error));
          assert.match(error.reason, /version 2/);
          assert.match(error.reason, /version 1/);
          return true;
        },
      );
      assert.equal(b.handler.requests.length, 0);
    });

    test("stop() rejects pending requests with TransportClosedError; afterwards requests reject and sends are ignored", async () => {
      const a = await node();
      const b = await node(never);
      const pending = a.transport.request(b.transport.address, { type: "slow" }, { timeoutMs: 10_000 });
      await waitFor("the request to arrive", () => b.handler.requests.length === 1);
      await a.transport.stop();
      await assert.rejects(pending, TransportClosedError);
      await assert.rejects(
        a.transport.request(b.transport.address, { type: "again" }, { timeoutMs: PATIENCE_MS }),
        (error: unknown) => error instanceof TransportClosedError && error.code === "transport_closed",
      );
      a.transport.send(b.transport.address, { type: "ignored" });
      await sleep(50);
      assert.equal(b.handler.messages.length, 0);
    });

    test("a message over frameBytesMax is refused with FrameTooLargeError, a request's or an answer's", async () => {
      const frameBytesMax = 64 * 1024;
      const a = await node(echo, { frameBytesMax });
      const b = await node(async () => ({ type: "big", value: new Uint8Array(frameBytesMax) }), {
        frameBytesMax,
      });
      await assert.rejects(
        a.transport.request(
          b.transport.address,
          { type: "big?", value: new Uint8Array(frameBytesMax) },
          { timeoutMs: PATIENCE_MS },
        ),
        (error: unknown) => error instanceof FrameTooLargeError && error.frameBytesMax === frameBytesMax,
      );
      assert.equal(b.handler.requests.length, 0);
      await assert.rejects(
        a.transport.request(b.transport.address, { type: "small" }, { timeoutMs: PATIENCE_MS }),
        (error: unknown) => error instanceof RemoteError && error.remoteCode === "frame_too_large",
      );
    });
  });
}
