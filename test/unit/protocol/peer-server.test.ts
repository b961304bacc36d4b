import assert from "node:assert/strict";
import { test } from "node:test";

import { QuorumError } from "../../../src/errors.js";
import { MemoryNetwork } from "../../../src/net/memory-transport.js";
import type { PeerInfo } from "../../../src/net/transport.js";
import {
  handler,
  MemberClient,
  missingHandlers,
  PeerClient,
  PeerServer,
  peerMessages,
} from "../../../src/protocol/index.js";
import { SeededRandom } from "../../../src/random/seeded-random.js";
import { ManualClock } from "../../net/fake-clocks.js";
import { captureLogs } from "../../net/log-capture.js";
import { testLimits } from "./test-limits.js";

const limits = testLimits({ partitions: 4 });

async function pair() {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ clock, random: new SeededRandom(3) });
  const { logger, entries } = captureLogs();
  const server = new PeerServer(logger);
  const serving = network.transport("a", "a:7000");
  await serving.start(server);
  const asking = network.transport("b", "b:7000");
  await asking.start(new PeerServer(logger));
  const members = new MemberClient(new PeerClient(asking, limits), (id) =>
    id === "a" ? "a:7000" : undefined,
  );
  /** Runs a request to completion on the manual clock. */
  const ask = async <T>(request: Promise<T>): Promise<T> => {
    const settled = request.then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    for (let i = 0; i < 10; i++) await clock.advance(1);
    const r = await settled;
    if (r.ok) return r.v;
    throw r.e;
  };
  return { server, members, ask, entries, stop: () => Promise.all([serving.stop(), asking.stop()]) };
}

test("a handler is handed the sender's identity as its handshake gave it", async () => {
  const { server, members, ask, stop } = await pair();
  const senders: PeerInfo[] = [];
  server.install(limits, [
    handler(peerMessages.aaeBranches, (_r, from) => {
      senders.push(from);
      return { branches: new Uint8Array(0) };
    }),
  ]);
  const reply = await ask(
    members.request("a", peerMessages.aaeBranches, { partition: 1 }, { timeoutMs: 100 }),
  );
  assert.equal(reply.branches.length, 0);
  assert.deepEqual(senders, [{ id: "b", address: "b:7000" }]);
  await stop();
});

test("a handler fails by throwing: the requester gets the same error class back", async () => {
  const { server, members, ask, stop } = await pair();
  server.install(limits, [
    handler(peerMessages.aaeBranches, () => {
      throw new QuorumError(2, 1, "write");
    }),
  ]);
  await assert.rejects(
    ask(members.request("a", peerMessages.aaeBranches, { partition: 1 }, { timeoutMs: 100 })),
    (e: unknown) => e instanceof QuorumError && e.needed === 2 && e.acked === 1,
  );
  await stop();
});

test("a malformed message is refused as bad_message and logged; no handler runs", async () => {
  const { server, ask, stop, entries } = await pair();
  let calls = 0;
  server.install(limits, [
    handler(peerMessages.aaeBranches, () => {
      calls += 1;
      return { branches: new Uint8Array(0) };
    }),
  ]);
  const raw = new PeerClient(
    {
      address: "x",
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      send: () => undefined,
      request: (_peer, message) => server.onRequest({ id: "b", address: "b:7000" }, message),
    },
    limits,
  );
  await assert.rejects(
    ask(raw.request("a:7000", peerMessages.aaeBranches, { partition: 99 }, { timeoutMs: 100 })),
    (e: unknown) =>
      e instanceof Error &&
      "code" in e &&
      e.code === "bad_message" &&
      /aae_branches\.partition/.test(e.message),
  );
  assert.equal(calls, 0);
  assert.ok(
    entries().some((l) => l.msg === "peer message refused"),
    JSON.stringify(entries()),
  );
  await stop();
});

test("an unknown member is unreachable before anything is sent; a member missing a handler is named", async () => {
  const { members, stop } = await pair();
  await assert.rejects(
    members.request("zz", peerMessages.aaeBranches, { partition: 0 }, { timeoutMs: 100 }),
    (e: unknown) => e instanceof Error && "code" in e && e.code === "peer_unreachable",
  );
  assert.deepEqual(missingHandlers([]).length, Object.keys(peerMessages).length);
  await stop();
});
