import assert from "node:assert/strict";
import { test } from "node:test";
import { PEER_COUNTER_MAX } from "../../../src/core/counter-ceiling.js";
import { NO_LOAD, NO_TRANSFER } from "../../../src/core/membership/cluster-state.js";
import { partitionOf } from "../../../src/core/partition.js";
import { encodeStoredObject } from "../../../src/core/stored-object.js";
import { BadClusterStateError, parseMember, parseRing } from "../../../src/protocol/cluster-state-schema.js";
import { parseDigest } from "../../../src/protocol/gossip-schema.js";
import { decodeRequest, PeerMessageError } from "../../../src/protocol/index.js";
import { testLimits } from "./test-limits.js";

const member = {
  id: "n2",
  listen: "127.0.0.1:7002",
  http: "127.0.0.1:8002",
  state: "active",
  stateVersion: 2,
  generation: 1,
  heartbeat: 10,
  load: NO_LOAD,
  transfer: NO_TRANSFER,
  ringVersion: 1,
  infoVersion: 1,
};

test("membership counters from peers stop at 2^40", () => {
  for (const field of ["stateVersion", "generation", "heartbeat", "ringVersion", "infoVersion"]) {
    assert.equal(
      parseMember({ ...member, [field]: PEER_COUNTER_MAX })[field as "heartbeat"],
      PEER_COUNTER_MAX,
    );
    assert.throws(
      () => parseMember({ ...member, [field]: PEER_COUNTER_MAX + 1 }),
      BadClusterStateError,
      field,
    );
    assert.throws(
      () => parseMember({ ...member, [field]: Number.MAX_SAFE_INTEGER }),
      /not in 0\.\.1099511627776/,
    );
  }
  const ring = { version: Number.MAX_SAFE_INTEGER, claimant: "n2", owners: ["n2"], next: null };
  assert.throws(() => parseRing(ring, 1), /ring version is not in 1\.\.1099511627776/);
  assert.equal(parseRing({ ...ring, version: PEER_COUNTER_MAX }, 1).version, PEER_COUNTER_MAX);
  const limits = { membersMax: 10, partitions: 1 };
  assert.throws(() =>
    parseDigest({ entries: [["n2", 1, Number.MAX_SAFE_INTEGER, 1, 1, 1]], ring: null }, limits),
  );
  assert.throws(() => parseDigest({ entries: [], ring: [2 ** 53 - 1, "n2", "k"] }, limits));
});

test("a kv_replicate whose DVV counter exceeds 2^40 is refused; one at the ceiling is taken", () => {
  const limits = testLimits();
  const key = new TextEncoder().encode("k");
  const message = (counter: number) => ({
    type: "kv_replicate",
    partition: partitionOf(key, limits.partitions),
    key,
    object: encodeStoredObject({
      entries: [
        {
          actor: "n2",
          counter,
          values: [{ value: new Uint8Array([1]), contentType: "x", deleted: false, writtenAtMs: 1 }],
        },
      ],
    }),
  });
  assert.throws(() => decodeRequest(message(Number.MAX_SAFE_INTEGER), limits), PeerMessageError);
  assert.throws(() => decodeRequest(message(PEER_COUNTER_MAX + 1), limits), /exceeds 1099511627776/);
  assert.doesNotThrow(() => decodeRequest(message(PEER_COUNTER_MAX), limits));
});
