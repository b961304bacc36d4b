import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Clock } from "../../src/clock/clock.js";
import { waitFor } from "../../src/clock/poll.js";
import { ListenError, PeerUnreachableError, RequestTimeoutError } from "../../src/net/errors.js";
import { MemoryNetwork, type MemoryTransport } from "../../src/net/memory-transport.js";
import type { Message, PeerInfo, TransportHandler } from "../../src/net/transport.js";
import { SeededRandom } from "../../src/random/seeded-random.js";
import { ManualClock, refClock } from "./fake-clocks.js";
import { runTransportSuite } from "./transport-suite.js";

runTransportSuite("MemoryTransport", () => {
  const network = new MemoryNetwork({ clock: refClock, random: new SeededRandom(1) });
  let nodes = 0;
  return {
    create: (overrides = {}) => {
      const n = ++nodes;
      const { nodeId, address, ...options } = overrides;
      return network.transport(nodeId ?? `node-${n}`, address ?? `mem-${n}:7000`, {
        clusterName: "memory-test",
        ...options,
      });
    },
    unreachableAddress: async () => `nowhere-${++nodes}:7000`,
    close: async () => undefined,
  };
});

/** Collects what a node receives; answers requests with an echo. */
class Inbox implements TransportHandler {
  readonly messages: Message[] = [];
  readonly requests: Message[] = [];
  async onRequest(_from: PeerInfo, message: Message): Promise<Message> {
    this.requests.push(message);
    return { type: "echo", got: message };
  }
  onMessage(_from: PeerInfo, message: Message): void {
    this.messages.push(message);
  }
}

/** Starts one node per address on `network`; the caller stops them in `finally`. */
async function startNodes(
  network: MemoryNetwork,
  addresses: string[],
): Promise<Array<{ transport: MemoryTransport; inbox: Inbox }>> {
  return Promise.all(
    addresses.map(async (address) => {
      const transport = network.transport(address.split(":")[0] ?? address, address);
      const inbox = new Inbox();
      await transport.start(inbox);
      return { transport, inbox };
    }),
  );
}

async function stopAll(nodes: Array<{ transport: MemoryTransport }>): Promise<void> {
  await Promise.all(nodes.map(({ transport }) => transport.stop()));
}

/** Watches a promise without awaiting it, for tests that move virtual time in between. */
function watch(promise: Promise<Message>): { answer?: Message; error?: unknown } {
  const outcome: { answer?: Message; error?: unknown } = {};
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

function realTimeNetwork(seed = 7, clock: Clock = refClock): MemoryNetwork {
  return new MemoryNetwork({ clock, random: new SeededRandom(seed) });
}

describe("MemoryNetwork faults", () => {
  test("a partition loses traffic both ways until heal() restores it", async () => {
    const network = realTimeNetwork();
    const nodes = await startNodes(network, ["a:1", "b:1", "c:1"]);
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    try {
      network.partition(["a:1"], ["b:1", "c:1"]);
      await assert.rejects(
        a.transport.request("b:1", { type: "q" }, { timeoutMs: 100 }),
        RequestTimeoutError,
      );
      await assert.rejects(
        b.transport.request("a:1", { type: "q" }, { timeoutMs: 100 }),
        RequestTimeoutError,
      );
      a.transport.send("c:1", { type: "lost" });
      c.transport.send("a:1", { type: "lost" });
      // Inside one side traffic flows.
      assert.deepEqual(await b.transport.request("c:1", { type: "q" }, { timeoutMs: 1_000 }), {
        type: "echo",
        got: { type: "q" },
      });
      await sleep(30);
      assert.equal(a.inbox.messages.length + c.inbox.messages.length, 0);
      assert.equal(b.inbox.requests.length, 0);
      network.heal();
      assert.deepEqual(await a.transport.request("b:1", { type: "q" }, { timeoutMs: 1_000 }), {
        type: "echo",
        got: { type: "q" },
      });
      c.transport.send("a:1", { type: "arrives" });
      await waitFor("the message after heal", () => a.inbox.messages.length === 1);
    } finally {
      await stopAll(nodes);
    }
  });

  test("dropRate 1 loses everything on that link and nothing on the reverse link", async () => {
    const network = realTimeNetwork();
    const nodes = await startNodes(network, ["a:1", "b:1"]);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    try {
      network.setLinkFault("a:1", "b:1", { dropRate: 1 });
      for (let i = 0; i < 50; i++) a.transport.send("b:1", { type: "lost", i });
      await assert.rejects(
        a.transport.request("b:1", { type: "q" }, { timeoutMs: 100 }),
        RequestTimeoutError,
      );
      b.transport.send("a:1", { type: "arrives" });
      await waitFor("the reverse-link message", () => a.inbox.messages.length === 1);
      assert.equal(b.inbox.messages.length + b.inbox.requests.length, 0);
      // Answers travel on the reverse link too: dropping b -> a loses b's answers to a.
      network.setLinkFault("a:1", "b:1", {});
      network.setLinkFault("b:1", "a:1", { dropRate: 1 });
      await assert.rejects(
        a.transport.request("b:1", { type: "q" }, { timeoutMs: 100 }),
        RequestTimeoutError,
      );
      assert.equal(b.inbox.requests.length, 1, "the request arrived, its answer was lost");
    } finally {
      await stopAll(nodes);
    }
  });

  test("a delay on one link lets a later message on another link arrive first", async () => {
    const network = realTimeNetwork();
    const nodes = await startNodes(network, ["a:1", "b:1", "c:1"]);
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    try {
      network.setLinkFault("a:1", "c:1", { delayMs: [80, 80] });
      a.transport.send("c:1", { type: "first-sent" });
      b.transport.send("c:1", { type: "second-sent" });
      await waitFor("both messages", () => c.inbox.messages.length === 2);
      assert.deepEqual(
        c.inbox.messages.map((message) => message.type),
        ["second-sent", "first-sent"],
      );
    } finally {
      await stopAll(nodes);
    }
  });

  test("a link keeps send order without faults; a delay fault on a link reorders that link only", async () => {
    const network = realTimeNetwork(42);
    const nodes = await startNodes(network, ["a:1", "b:1", "c:1"]);
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    try {
      network.setLinkFault("a:1", "c:1", { delayMs: [0, 40] });
      for (let seq = 0; seq < 50; seq++) {
        a.transport.send("c:1", { type: "from-a", seq });
        b.transport.send("c:1", { type: "from-b", seq });
      }
      await waitFor("100 messages", () => c.inbox.messages.length === 100);
      const order = (type: string) =>
        c.inbox.messages.filter((m) => m.type === type).map((m) => m.seq as number);
      const inOrder = Array.from({ length: 50 }, (_, seq) => seq);
      assert.deepEqual(order("from-b"), inOrder);
      assert.notDeepEqual(order("from-a"), inOrder);
      assert.deepEqual(
        [...order("from-a")].sort((x, y) => x - y),
        inOrder,
      );
    } finally {
      await stopAll(nodes);
    }
  });

  test("duplicateRate 1 delivers every message twice, each a separate copy", async () => {
    const network = realTimeNetwork();
    const nodes = await startNodes(network, ["a:1", "b:1"]);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    try {
      network.setLinkFault("a:1", "b:1", { duplicateRate: 1 });
      for (let seq = 0; seq < 5; seq++) a.transport.send("b:1", { type: "dup", seq });
      await waitFor("10 deliveries", () => b.inbox.messages.length === 10);
      await sleep(20);
      assert.equal(b.inbox.messages.length, 10);
      assert.notEqual(b.inbox.messages[0], b.inbox.messages[1]);
      // A duplicated request runs twice; its requester takes the first answer.
      assert.deepEqual(await a.transport.request("b:1", { type: "q" }, { timeoutMs: 1_000 }), {
        type: "echo",
        got: { type: "q" },
      });
      await waitFor("the duplicate request", () => b.inbox.requests.length === 2);
    } finally {
      await stopAll(nodes);
    }
  });

  test("a default link fault applies to every link without its own; a link fault overrides it", async () => {
    const network = realTimeNetwork();
    const nodes = await startNodes(network, ["a:1", "b:1", "c:1"]);
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    try {
      network.setDefaultLinkFault({ dropRate: 1 });
      network.setLinkFault("a:1", "c:1", { duplicateRate: 1 });
      a.transport.send("b:1", { type: "lost" });
      b.transport.send("c:1", { type: "lost" });
      a.transport.send("c:1", { type: "twice" });
      await waitFor("both copies on c", () => c.inbox.messages.length === 2);
      await sleep(20);
      assert.equal(b.inbox.messages.length, 0);
      assert.deepEqual(
        c.inbox.messages.map((m) => m.type),
        ["twice", "twice"],
      );
      network.clearLinkFaults();
      a.transport.send("b:1", { type: "through" });
      await waitFor("delivery once cleared", () => b.inbox.messages.length === 1);
      assert.throws(() => network.setDefaultLinkFault({ dropRate: 2 }), RangeError);
    } finally {
      await stopAll(nodes);
    }
  });

  test("two transports cannot listen on one address", async () => {
    const network = realTimeNetwork();
    const nodes = await startNodes(network, ["a:1"]);
    try {
      const second = network.transport("other", "a:1");
      await assert.rejects(second.start(new Inbox()), ListenError);
    } finally {
      await stopAll(nodes);
    }
  });
});

describe("MemoryNetwork in virtual time", () => {
  test("nothing moves until the clock does: delivery, answers and timeouts follow virtual time only", async () => {
    const clock = new ManualClock();
    const network = realTimeNetwork(3, clock);
    const nodes = await startNodes(network, ["a:1", "b:1"]);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    try {
      network.setLinkFault("a:1", "b:1", { delayMs: [100, 100] });
      const first = watch(a.transport.request("b:1", { type: "q" }, { timeoutMs: 1_000 }));
      await sleep(20);
      assert.equal(b.inbox.requests.length, 0, "no delivery without the clock moving");
      await clock.advance(99);
      assert.equal(b.inbox.requests.length, 0);
      await clock.advance(1);
      assert.equal(b.inbox.requests.length, 1);
      await clock.advance(0);
      assert.deepEqual(first.answer, { type: "echo", got: { type: "q" } });

      network.partition(["a:1"], ["b:1"]);
      const second = watch(a.transport.request("b:1", { type: "q" }, { timeoutMs: 1_000 }));
      await clock.advance(999);
      assert.equal("error" in second, false, "no timeout before timeoutMs of virtual time");
      await clock.advance(1);
      assert.ok(second.error instanceof RequestTimeoutError, String(second.error));
    } finally {
      await stopAll(nodes);
    }
    assert.equal(clock.pendingTimers, 0, "stopped transports and empty links leave no timers behind");
  });

  test("the same seed gives the same delivery order", async () => {
    async function arrivalOrder(seed: number): Promise<number[]> {
      const clock = new ManualClock();
      const network = new MemoryNetwork({ clock, random: new SeededRandom(seed) });
      const nodes = await startNodes(network, ["a:1", "b:1"]);
      const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
      try {
        network.setLinkFault("a:1", "b:1", { delayMs: [0, 100], dropRate: 0.2, duplicateRate: 0.2 });
        for (let seq = 0; seq < 100; seq++) a.transport.send("b:1", { type: "m", seq });
        await clock.advance(200);
        return b.inbox.messages.map((message) => message.seq as number);
      } finally {
        await stopAll(nodes);
      }
    }
    const first = await arrivalOrder(99);
    assert.deepEqual(await arrivalOrder(99), first);
    assert.notDeepEqual(await arrivalOrder(100), first);
  });

  test("a request to an address nobody listens on fails with PeerUnreachableError without waiting for its timeout", async () => {
    const clock = new ManualClock();
    const network = realTimeNetwork(5, clock);
    const nodes = await startNodes(network, ["a:1"]);
    const [a] = nodes as [(typeof nodes)[0]];
    try {
      const request = watch(a.transport.request("gone:1", { type: "q" }, { timeoutMs: 1_000 }));
      await clock.advance(0);
      assert.ok(request.error instanceof PeerUnreachableError, String(request.error));
    } finally {
      await stopAll(nodes);
    }
  });
});
