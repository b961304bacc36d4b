import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BadRequestError, ConfigError } from "../../src/errors.js";
import {
  FAULT_RULES_MAX,
  FaultInjectingTransport,
  type FaultInjectionOptions,
  type FaultRule,
  MemoryNetwork,
  PeerOverloadedError,
  PeerUnreachableError,
  RemoteError,
  RequestTimeoutError,
  TransportClosedError,
} from "../../src/net/index.js";
import type { Message, PeerInfo, TransportHandler } from "../../src/net/transport.js";
import { SeededRandom } from "../../src/random/seeded-random.js";
import { ManualClock } from "./fake-clocks.js";

/** Records what a node receives, with the sender's id; answers requests with an echo. */
class Inbox implements TransportHandler {
  readonly requests: Array<{ from: string; message: Message }> = [];
  readonly messages: Array<{ from: string; message: Message }> = [];
  async onRequest(from: PeerInfo, message: Message): Promise<Message> {
    this.requests.push({ from: from.id, message });
    return { type: "echo", got: message };
  }
  onMessage(from: PeerInfo, message: Message): void {
    this.messages.push({ from: from.id, message });
  }
}

type NodeId = "a" | "b" | "c";
interface TestNode {
  transport: FaultInjectingTransport;
  inbox: Inbox;
}

const addressOf = (id: NodeId): string => `${id}:7000`;

/**
 * Three wrapped MemoryTransports on one network under virtual time, so delays and timeouts are
 * exact and a 5-minute hold takes no real time. `idOf` knows every node unless told otherwise.
 */
async function startThree(
  options: Partial<FaultInjectionOptions> = {},
  idOf: (address: string) => string | undefined = (address) => address.split(":")[0],
): Promise<{ clock: ManualClock; nodes: Record<NodeId, TestNode>; stop(): Promise<void> }> {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ clock, random: new SeededRandom(1) });
  const make = async (id: NodeId): Promise<TestNode> => {
    const transport = new FaultInjectingTransport(
      network.transport(id, addressOf(id)),
      { clock, idOf },
      options,
    );
    const inbox = new Inbox();
    await transport.start(inbox);
    return { transport, inbox };
  };
  const nodes = { a: await make("a"), b: await make("b"), c: await make("c") };
  return {
    clock,
    nodes,
    stop: async () => {
      await Promise.all(Object.values(nodes).map((node) => node.transport.stop()));
    },
  };
}

interface Outcome {
  answer?: Message;
  error?: unknown;
}

/** Watches a promise without awaiting it, so the test can move virtual time in between. */
function watch(promise: Promise<Message>): Outcome {
  const outcome: Outcome = {};
  promise.then(
    (answer) => {
      outcome.answer = answer;
    },
    (error: unknown) => {
      outcome.error = error;
    },
  );
  return outcome;
}

function ask(from: TestNode, to: NodeId, timeoutMs = 1_000, n = 0): Outcome {
  return watch(from.transport.request(addressOf(to), { type: "ping", n }, { timeoutMs }));
}

function assertAnswered(outcome: Outcome, n = 0): void {
  assert.equal(outcome.error, undefined);
  assert.deepEqual(outcome.answer, { type: "echo", got: { type: "ping", n } });
}

function assertPending(outcome: Outcome): void {
  assert.deepEqual(outcome, {}, "the request is still waiting");
}

function assertTimedOut(outcome: Outcome, peer: NodeId, timeoutMs: number): void {
  assert.ok(outcome.error instanceof RequestTimeoutError, `expected a timeout, got ${String(outcome.error)}`);
  assert.equal(outcome.error.peer, addressOf(peer));
  assert.equal(outcome.error.timeoutMs, timeoutMs);
}

function assertRemote(outcome: Outcome, remoteCode: string): void {
  assert.ok(outcome.error instanceof RemoteError, `expected a RemoteError, got ${String(outcome.error)}`);
  assert.equal(outcome.error.remoteCode, remoteCode);
}

function requestsFrom(node: TestNode, from: NodeId): number {
  return node.inbox.requests.filter((r) => r.from === from).length;
}

function messagesFrom(node: TestNode, from: NodeId): number {
  return node.inbox.messages.filter((m) => m.from === from).length;
}

describe("FaultInjectingTransport: drop", () => {
  test("without rules requests and one-way messages pass through at once", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      const answered = ask(nodes.a, "b");
      nodes.a.transport.send(addressOf("b"), { type: "note" });
      await clock.advance(0);
      assertAnswered(answered);
      assert.equal(messagesFrom(nodes.b, "a"), 1);
    } finally {
      await stop();
    }
  });

  test("an outgoing drop makes requests to that peer time out after their full timeoutMs, unseen by it", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "b", direction: "out", mode: "drop" }]);
      const dropped = ask(nodes.a, "b", 1_000);
      await clock.advance(999);
      assertPending(dropped);
      await clock.advance(1);
      assertTimedOut(dropped, "b", 1_000);
      assert.equal(requestsFrom(nodes.b, "a"), 0);
      // Only a -> b is cut: a still reaches c, and b still reaches a.
      const toC = ask(nodes.a, "c");
      const fromB = ask(nodes.b, "a");
      await clock.advance(0);
      assertAnswered(toC);
      assertAnswered(fromB);
    } finally {
      await stop();
    }
  });

  test("an outgoing drop discards one-way messages to that peer only", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "b", direction: "out", mode: "drop" }]);
      nodes.a.transport.send(addressOf("b"), { type: "lost" });
      nodes.a.transport.send(addressOf("c"), { type: "kept" });
      await clock.advance(10_000);
      assert.equal(messagesFrom(nodes.b, "a"), 0);
      assert.equal(messagesFrom(nodes.c, "a"), 1);
    } finally {
      await stop();
    }
  });

  test("an incoming drop never calls the handler and leaves the caller without an answer", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.b.transport.set([{ peer: "a", direction: "in", mode: "drop" }]);
      const silenced = ask(nodes.a, "b", 1_000);
      await clock.advance(999);
      assertPending(silenced);
      await clock.advance(1);
      assertTimedOut(silenced, "b", 1_000);
      assert.equal(requestsFrom(nodes.b, "a"), 0);
      // The caller has given up; the request is still held, bounded in time (see the next tests).
      assert.equal(nodes.b.transport.heldCounts().incomingRequests, 1);
      // b -> a and c -> b are untouched.
      const fromB = ask(nodes.b, "a");
      const fromC = ask(nodes.c, "b");
      await clock.advance(0);
      assertAnswered(fromB);
      assertAnswered(fromC);
    } finally {
      await stop();
    }
  });

  test("an incoming drop discards one-way messages from that peer only", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.b.transport.set([{ peer: "a", direction: "in", mode: "drop" }]);
      nodes.a.transport.send(addressOf("b"), { type: "lost" });
      nodes.c.transport.send(addressOf("b"), { type: "kept" });
      await clock.advance(10_000);
      assert.equal(messagesFrom(nodes.b, "a"), 0);
      assert.equal(messagesFrom(nodes.b, "c"), 1);
    } finally {
      await stop();
    }
  });

  test("a both-ways drop set on one node cuts the link in each direction and spares a third node", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "b", direction: "both", mode: "drop" }]);
      const aToB = ask(nodes.a, "b", 500);
      const bToA = ask(nodes.b, "a", 500);
      nodes.b.transport.send(addressOf("a"), { type: "lost" });
      const cToA = ask(nodes.c, "a", 500);
      const cToB = ask(nodes.c, "b", 500);
      await clock.advance(500);
      assertTimedOut(aToB, "b", 500);
      assertTimedOut(bToA, "a", 500);
      assert.equal(requestsFrom(nodes.a, "b") + messagesFrom(nodes.a, "b") + requestsFrom(nodes.b, "a"), 0);
      assertAnswered(cToA);
      assertAnswered(cToB);
    } finally {
      await stop();
    }
  });

  test("a silenced request is released after silenceMs, not before", async () => {
    const { clock, nodes, stop } = await startThree({ silenceMs: 300_000 });
    try {
      nodes.b.transport.set([{ peer: "a", direction: "in", mode: "drop" }]);
      ask(nodes.a, "b", 1_000);
      await clock.advance(299_999);
      assert.equal(nodes.b.transport.heldCounts().incomingRequests, 1);
      await clock.advance(1);
      assert.equal(nodes.b.transport.heldCounts().incomingRequests, 0);
      assert.equal(requestsFrom(nodes.b, "a"), 0, "a release never runs the handler");
    } finally {
      await stop();
    }
  });

  test("clear() heals: requests flow again and a caller still waiting gets fault_injected at once", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "c", direction: "out", mode: "drop" }]);
      nodes.b.transport.set([{ peer: "a", direction: "in", mode: "drop" }]);
      const dropped = ask(nodes.a, "c", 1_000);
      const patient = ask(nodes.a, "b", 60_000);
      await clock.advance(1_000);
      assertTimedOut(dropped, "c", 1_000);
      assertPending(patient);
      nodes.a.transport.clear();
      nodes.b.transport.clear();
      assert.deepEqual(nodes.a.transport.rules(), []);
      await clock.advance(0);
      assertRemote(patient, "fault_injected");
      assert.equal(nodes.b.transport.heldCounts().incomingRequests, 0);
      assert.equal(requestsFrom(nodes.b, "a"), 0, "the released request was never handled");
      const toC = ask(nodes.a, "c");
      const toB = ask(nodes.a, "b");
      await clock.advance(0);
      assertAnswered(toC);
      assertAnswered(toB);
    } finally {
      await stop();
    }
  });

  test("replacing the rules releases requests silenced by a rule that is gone, and keeps the others", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.b.transport.set([
        { peer: "a", direction: "in", mode: "drop" },
        { peer: "c", direction: "in", mode: "drop" },
      ]);
      const fromA = ask(nodes.a, "b", 60_000);
      const fromC = ask(nodes.c, "b", 60_000);
      await clock.advance(10);
      nodes.b.transport.set([{ peer: "c", direction: "in", mode: "drop" }]);
      await clock.advance(0);
      assertRemote(fromA, "fault_injected");
      assertPending(fromC);
    } finally {
      await stop();
    }
  });

  test("an abort signal ends a dropped request with the signal's reason", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "b", direction: "out", mode: "drop" }]);
      const controller = new AbortController();
      const reason = new Error("caller gave up");
      const aborted = watch(
        nodes.a.transport.request(
          addressOf("b"),
          { type: "ping" },
          { timeoutMs: 1_000, signal: controller.signal },
        ),
      );
      await clock.advance(100);
      controller.abort(reason);
      await clock.advance(0);
      assert.equal(aborted.error, reason);
      assert.equal(nodes.a.transport.heldCounts().outgoingRequests, 0);
    } finally {
      await stop();
    }
  });

  test("stop() rejects held outgoing requests as closed and lets go of held incoming ones", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "b", direction: "both", mode: "drop" }]);
      const aToB = ask(nodes.a, "b", 60_000);
      const bToA = ask(nodes.b, "a", 60_000);
      await clock.advance(10);
      assert.deepEqual(nodes.a.transport.heldCounts(), {
        outgoingRequests: 1,
        outgoingMessages: 0,
        incomingRequests: 1,
        incomingMessages: 0,
      });
      await nodes.a.transport.stop();
      await clock.advance(0);
      assert.ok(aToB.error instanceof TransportClosedError);
      // A stopped process's connections break, so b learns at once rather than after 60 s.
      assert.ok(bToA.error instanceof PeerUnreachableError, `got ${String(bToA.error)}`);
      assert.deepEqual(nodes.a.transport.heldCounts(), {
        outgoingRequests: 0,
        outgoingMessages: 0,
        incomingRequests: 0,
        incomingMessages: 0,
      });
    } finally {
      await stop();
    }
  });

  test("a peer whose address maps to no known node id is never matched", async () => {
    const { clock, nodes, stop } = await startThree({}, () => undefined);
    try {
      nodes.a.transport.set([{ peer: "b", direction: "out", mode: "drop" }]);
      const answered = ask(nodes.a, "b");
      await clock.advance(0);
      assertAnswered(answered);
    } finally {
      await stop();
    }
  });
});

describe("FaultInjectingTransport: delay", () => {
  test("an outgoing delay delivers the request delayMs late and its answer without further delay", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "b", direction: "out", mode: "delay", delayMs: 300 }]);
      const delayed = ask(nodes.a, "b", 1_000);
      await clock.advance(299);
      assertPending(delayed);
      assert.equal(requestsFrom(nodes.b, "a"), 0);
      await clock.advance(1);
      assertAnswered(delayed);
      assert.equal(requestsFrom(nodes.b, "a"), 1);
    } finally {
      await stop();
    }
  });

  test("a delay counts against the request's timeout: delayMs >= timeoutMs is a timeout the peer never sees", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "b", direction: "out", mode: "delay", delayMs: 2_000 }]);
      const late = ask(nodes.a, "b", 1_000);
      await clock.advance(1_000);
      assertTimedOut(late, "b", 1_000);
      await clock.advance(5_000);
      assert.equal(requestsFrom(nodes.b, "a"), 0);
    } finally {
      await stop();
    }
  });

  test("a delayed request whose answer is then lost times out at its original timeoutMs", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "b", direction: "out", mode: "delay", delayMs: 400 }]);
      nodes.b.transport.set([{ peer: "a", direction: "in", mode: "drop" }]);
      const late = ask(nodes.a, "b", 1_000);
      await clock.advance(999);
      assertPending(late);
      await clock.advance(1);
      assertTimedOut(late, "b", 1_000);
    } finally {
      await stop();
    }
  });

  test("an incoming delay calls the handler delayMs late", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.b.transport.set([{ peer: "a", direction: "in", mode: "delay", delayMs: 250 }]);
      const delayed = ask(nodes.a, "b", 1_000);
      const direct = ask(nodes.c, "b", 1_000);
      await clock.advance(249);
      assertPending(delayed);
      assertAnswered(direct);
      assert.equal(requestsFrom(nodes.b, "a"), 0);
      await clock.advance(1);
      assertAnswered(delayed);
    } finally {
      await stop();
    }
  });

  test("delayed one-way messages arrive delayMs late, outgoing and incoming", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "b", direction: "out", mode: "delay", delayMs: 100 }]);
      nodes.c.transport.set([{ peer: "b", direction: "in", mode: "delay", delayMs: 200 }]);
      nodes.a.transport.send(addressOf("b"), { type: "late" });
      nodes.b.transport.send(addressOf("c"), { type: "later" });
      await clock.advance(99);
      assert.equal(messagesFrom(nodes.b, "a") + messagesFrom(nodes.c, "b"), 0);
      await clock.advance(1);
      assert.equal(messagesFrom(nodes.b, "a"), 1);
      await clock.advance(99);
      assert.equal(messagesFrom(nodes.c, "b"), 0);
      await clock.advance(1);
      assert.equal(messagesFrom(nodes.c, "b"), 1);
    } finally {
      await stop();
    }
  });

  test("a delay of 0 still delivers", async () => {
    const { clock, nodes, stop } = await startThree();
    try {
      nodes.a.transport.set([{ peer: "b", direction: "both", mode: "delay", delayMs: 0 }]);
      const out = ask(nodes.a, "b");
      const back = ask(nodes.b, "a");
      await clock.advance(0);
      assertAnswered(out);
      assertAnswered(back);
    } finally {
      await stop();
    }
  });
});

describe("FaultInjectingTransport: bounds", () => {
  test("outgoing requests held for one peer are bounded: one more is refused as overloaded", async () => {
    const { clock, nodes, stop } = await startThree({ outgoingRequestsHeldPerPeerMax: 2 });
    try {
      nodes.a.transport.set([
        { peer: "b", direction: "out", mode: "drop" },
        { peer: "c", direction: "out", mode: "drop" },
      ]);
      const held = [ask(nodes.a, "b"), ask(nodes.a, "b")];
      const refused = ask(nodes.a, "b");
      const otherPeer = ask(nodes.a, "c");
      await clock.advance(0);
      assert.ok(refused.error instanceof PeerOverloadedError, `got ${String(refused.error)}`);
      held.forEach(assertPending);
      assertPending(otherPeer);
      await clock.advance(1_000);
      // Once the held ones timed out there is room again.
      const again = ask(nodes.a, "b", 500);
      await clock.advance(500);
      assertTimedOut(again, "b", 500);
    } finally {
      await stop();
    }
  });

  test("incoming requests silenced from one peer are bounded: the oldest is released first", async () => {
    const { clock, nodes, stop } = await startThree({ incomingRequestsHeldPerPeerMax: 2 });
    try {
      nodes.b.transport.set([{ peer: "a", direction: "in", mode: "drop" }]);
      const first = ask(nodes.a, "b", 60_000, 1);
      await clock.advance(1);
      const second = ask(nodes.a, "b", 60_000, 2);
      const third = ask(nodes.a, "b", 60_000, 3);
      await clock.advance(1);
      assertRemote(first, "fault_injected");
      assertPending(second);
      assertPending(third);
      assert.equal(nodes.b.transport.heldCounts().incomingRequests, 2);
      assert.equal(requestsFrom(nodes.b, "a"), 0);
    } finally {
      await stop();
    }
  });

  test("delayed incoming requests at the bound refuse the next one as overloaded", async () => {
    const { clock, nodes, stop } = await startThree({ incomingRequestsHeldPerPeerMax: 1 });
    try {
      nodes.b.transport.set([{ peer: "a", direction: "in", mode: "delay", delayMs: 100 }]);
      const delayed = ask(nodes.a, "b", 1_000, 1);
      const refused = ask(nodes.a, "b", 1_000, 2);
      await clock.advance(0);
      assertRemote(refused, "peer_overloaded");
      await clock.advance(100);
      assertAnswered(delayed, 1);
    } finally {
      await stop();
    }
  });

  test("delayed one-way messages per peer are bounded: the excess is dropped", async () => {
    const { clock, nodes, stop } = await startThree({ messagesDelayedPerPeerMax: 2 });
    try {
      nodes.a.transport.set([{ peer: "b", direction: "out", mode: "delay", delayMs: 50 }]);
      for (let i = 0; i < 5; i++) nodes.a.transport.send(addressOf("b"), { type: "note", i });
      await clock.advance(50);
      assert.deepEqual(
        nodes.b.inbox.messages.map((m) => m.message.i),
        [0, 1],
      );
    } finally {
      await stop();
    }
  });

  test("out-of-range options are a ConfigError", async () => {
    const network = new MemoryNetwork({ clock: new ManualClock(), random: new SeededRandom(1) });
    const inner = network.transport("a", "a:7000");
    const deps = { clock: new ManualClock(), idOf: () => undefined };
    assert.throws(() => new FaultInjectingTransport(inner, deps, { silenceMs: 0 }), ConfigError);
    assert.throws(
      () => new FaultInjectingTransport(inner, deps, { incomingRequestsHeldPerPeerMax: 1.5 }),
      ConfigError,
    );
  });
});

describe("FaultInjectingTransport: rules", () => {
  const transport = (): FaultInjectingTransport => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ clock, random: new SeededRandom(1) });
    return new FaultInjectingTransport(network.transport("a", "a:7000"), { clock, idOf: () => undefined });
  };

  const BAD: Array<{ name: string; rules: unknown; message: RegExp }> = [
    { name: "not an array", rules: { peer: "b" }, message: /must be an array/ },
    {
      name: "a rule that is not an object",
      rules: ["b"],
      message: /rules\[0\]: a fault rule must be an object/,
    },
    {
      name: "an unknown field",
      rules: [{ peer: "b", direction: "in", mode: "delay", dealyMs: 5 }],
      message: /rules\[0\]: unknown field "dealyMs"/,
    },
    { name: "no peer", rules: [{ direction: "in", mode: "drop" }], message: /rules\[0\]: peer must be/ },
    { name: "an empty peer", rules: [{ peer: "", direction: "in", mode: "drop" }], message: /peer must be/ },
    {
      name: "a peer of 65 characters",
      rules: [{ peer: "x".repeat(65), direction: "in", mode: "drop" }],
      message: /peer must be a node id of 1\.\.64/,
    },
    {
      name: "a peer with a slash",
      rules: [{ peer: "n/2", direction: "in", mode: "drop" }],
      message: /peer must be/,
    },
    { name: "a numeric peer", rules: [{ peer: 2, direction: "in", mode: "drop" }], message: /peer must be/ },
    {
      name: "an unknown direction",
      rules: [{ peer: "b", direction: "sideways", mode: "drop" }],
      message: /direction must be "in", "out" or "both"/,
    },
    {
      name: "an unknown mode",
      rules: [{ peer: "b", direction: "in", mode: "corrupt" }],
      message: /mode must be "drop" or "delay"/,
    },
    {
      name: "a delay without delayMs",
      rules: [{ peer: "b", direction: "in", mode: "delay" }],
      message: /needs delayMs, an integer in 0\.\.60000/,
    },
    {
      name: "a negative delay",
      rules: [{ peer: "b", direction: "in", mode: "delay", delayMs: -1 }],
      message: /needs delayMs/,
    },
    {
      name: "a delay over 60 s",
      rules: [{ peer: "b", direction: "in", mode: "delay", delayMs: 60_001 }],
      message: /needs delayMs/,
    },
    {
      name: "a fractional delay",
      rules: [{ peer: "b", direction: "in", mode: "delay", delayMs: 1.5 }],
      message: /needs delayMs/,
    },
    {
      name: "a delay given as a string",
      rules: [{ peer: "b", direction: "in", mode: "delay", delayMs: "100" }],
      message: /needs delayMs/,
    },
    {
      name: "a drop with delayMs",
      rules: [{ peer: "b", direction: "in", mode: "drop", delayMs: 100 }],
      message: /delayMs applies only to mode "delay"/,
    },
    {
      name: "two rules for the same peer and direction",
      rules: [
        { peer: "b", direction: "both", mode: "drop" },
        { peer: "c", direction: "in", mode: "drop" },
        { peer: "b", direction: "in", mode: "delay", delayMs: 5 },
      ],
      message: /rules\[2\]: peer b already has a rule for direction "in" \(rules\[0\]\)/,
    },
  ];

  for (const { name, rules, message } of BAD) {
    test(`refuses ${name} with a BadRequestError and keeps the previous rules`, () => {
      const t = transport();
      const previous: FaultRule[] = [{ peer: "z", direction: "out", mode: "drop" }];
      t.set(previous);
      assert.throws(
        () => t.set(rules as FaultRule[]),
        (error: unknown) => error instanceof BadRequestError && message.test(error.message),
      );
      assert.deepEqual(t.rules(), previous);
    });
  }

  test(`accepts ${FAULT_RULES_MAX} rules and refuses ${FAULT_RULES_MAX + 1}`, () => {
    const t = transport();
    const rules = (count: number): FaultRule[] =>
      Array.from({ length: count }, (_, i) => ({ peer: `n${i}`, direction: "both", mode: "drop" }));
    t.set(rules(FAULT_RULES_MAX));
    assert.equal(t.rules().length, FAULT_RULES_MAX);
    assert.throws(
      () => t.set(rules(FAULT_RULES_MAX + 1)),
      (error: unknown) => error instanceof BadRequestError && /at most 64 fault rules/.test(error.message),
    );
    assert.equal(t.rules().length, FAULT_RULES_MAX);
  });

  test("accepts the boundary values and separate in and out rules for one peer", () => {
    const t = transport();
    const rules: FaultRule[] = [
      { peer: "b", direction: "in", mode: "delay", delayMs: 0 },
      { peer: "b", direction: "out", mode: "delay", delayMs: 60_000 },
      { peer: `${"A".repeat(60)}.-_9`, direction: "both", mode: "drop" },
    ];
    t.set(rules);
    assert.deepEqual(t.rules(), rules);
  });

  test("rules() is a copy: changing it does not change the rules in force", () => {
    const t = transport();
    t.set([{ peer: "b", direction: "out", mode: "drop" }]);
    t.rules().pop();
    assert.equal(t.rules().length, 1);
  });
});
