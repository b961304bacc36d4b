import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pino } from "pino";
import { systemClock } from "../../../src/clock/clock.js";
import type { ClusterView } from "../../../src/cluster/cluster-view.js";
import { ClusterMetadata } from "../../../src/cluster/metadata/index.js";
import { MemoryNetwork } from "../../../src/net/memory-transport.js";
import { decodeRequest } from "../../../src/protocol/codec.js";
import { MemberClient, PeerClient, type ProtocolLimits, peerMessages } from "../../../src/protocol/index.js";
import { SeededRandom } from "../../../src/random/seeded-random.js";
import { MemoryEngine } from "../../../src/storage/index.js";

const LIMITS: ProtocolLimits = {
  partitions: 16,
  n: 3,
  membersMax: 100,
  keyBytesMax: 1024,
  valueBytesMax: 1024 * 1024,
  contentTypeBytesMax: 256,
  timeoutMsMax: 60_000,
  treeSegments: 256,
  aaeKeysMax: 8000,
};

/** The push handler reaches neither the membership nor other peers. */
const noView: ClusterView = {
  state: () => assert.fail("the view is not used"),
  member: () => assert.fail("the view is not used"),
  status: () => assert.fail("the view is not used"),
  downForMs: () => assert.fail("the view is not used"),
  addressOf: () => undefined,
  ring: () => undefined,
};

describe("cluster metadata: a peer's entries this node cannot take", () => {
  test("are skipped and logged one by one; the other entries of the same push are taken", async () => {
    const lines: { msg: string; problem?: string; peer?: string }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const transport = new MemoryNetwork({ clock: systemClock, random: new SeededRandom(2) }).transport(
      "n1",
      "n1:7000",
    );
    const metadata = new ClusterMetadata(
      {
        selfId: "n1",
        storage: new MemoryEngine(),
        peers: new MemberClient(new PeerClient(transport, LIMITS), () => undefined),
        view: noView,
        clock: systemClock,
        random: new SeededRandom(1),
        logger,
      },
      { syncIntervalMs: 1000, idleSyncIntervalMaxMs: 4000, requestTimeoutMs: 1000, entriesMax: 4096 },
    );
    const entry = (key: string, space = "namespaces") => ({
      space,
      key,
      value: { ttlSeconds: 60 },
      version: 10,
      writer: "n2",
    });
    // As it arrives: a newer node's space between two entries this node knows, and a bad one.
    const { request } = decodeRequest(
      {
        type: "meta_push",
        entries: [entry("carts"), entry("q1", "quotas"), { ...entry("bad"), version: -1 }, entry("sessions")],
      },
      LIMITS,
    );
    const push = metadata.handlers().find((h) => h.def === peerMessages.metaPush);
    assert.ok(push !== undefined);
    await push.handle(request, { id: "n2", address: "n2:7000" });
    assert.deepEqual(
      metadata
        .list("namespaces")
        .map(([key]) => key)
        .sort(),
      ["carts", "sessions"],
    );
    assert.equal(metadata.size, 2);
    const skipped = lines.filter((l) => l.msg === "metadata entry from a peer skipped: not usable here");
    assert.deepEqual(
      skipped.map((l) => [l.peer, l.problem]),
      [
        ["n2", "entries[1]: space is not one of tokens, namespaces"],
        ["n2", "entries[2]: version is not an integer in 0..8796093022208"],
      ],
    );
  });
});
