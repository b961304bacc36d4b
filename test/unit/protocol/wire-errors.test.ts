import assert from "node:assert/strict";
import { test } from "node:test";
import { HintStoreFullError } from "../../../src/coordinator/hint-store.js";
import {
  NotOwnerError,
  NotReadyError,
  QuorumError,
  type RingkvError,
  StorageFailedError,
  StorageFullError,
  TooManySiblingsError,
} from "../../../src/errors.js";
import { RemoteError } from "../../../src/net/errors.js";
import {
  fromRemoteError,
  PeerMessageError,
  toWireFailure,
  UnknownMessageError,
} from "../../../src/protocol/index.js";

/** What a requester sees of an error a remote handler threw: the failure as sent, then rebuilt. */
function acrossTheWire(error: unknown): RingkvError {
  const failure = toWireFailure(error);
  return fromRemoteError(new RemoteError("peer:7000", failure.code, failure.message, failure.details()));
}

test("each error a handler throws crosses the wire as the same class, message and details", () => {
  const cases: RingkvError[] = [
    new QuorumError(2, 1, "write"),
    new QuorumError(3, 0, "write", "home"),
    new NotReadyError("the node is still starting; retry shortly"),
    new NotOwnerError(7, 42),
    new TooManySiblingsError(101, 100),
    new StorageFullError("the map is full"),
    new StorageFailedError("a local commit failed"),
    new HintStoreFullError("n3", 10),
    new PeerMessageError("kv_read.key: expected 1..1024 bytes"),
    new UnknownMessageError("kv_frobnicate"),
  ];
  for (const original of cases) {
    const rebuilt = acrossTheWire(original);
    assert.equal(rebuilt.constructor, original.constructor, original.constructor.name);
    assert.equal(rebuilt.code, original.code);
    assert.equal(rebuilt.message, original.message);
    assert.deepEqual(rebuilt.details(), original.details(), original.constructor.name);
  }
});

test("a quorum failure and a node still starting have different wire codes (both are HTTP 'unavailable')", () => {
  const quorum = toWireFailure(new QuorumError(2, 1, "write"));
  const starting = toWireFailure(new NotReadyError("starting"));
  assert.equal(new QuorumError(2, 1, "write").code, new NotReadyError("x").code);
  assert.notEqual(quorum.code, starting.code);
  assert.ok(acrossTheWire(new NotReadyError("starting")) instanceof NotReadyError);
});

test("an error that is not ours (a bug) crosses as 'internal' without its message, and stays a RemoteError", () => {
  const failure = toWireFailure(new TypeError("cannot read properties of undefined (secret path /x/y)"));
  assert.equal(failure.code, "internal");
  assert.doesNotMatch(failure.message, /secret/);
  const rebuilt = acrossTheWire(new TypeError("boom"));
  assert.ok(rebuilt instanceof RemoteError);
  assert.equal(rebuilt.remoteCode, "internal");
});

test("a remote code this node does not know stays a RemoteError with that code", () => {
  const remote = new RemoteError("peer:7000", "fault_injected", "dropped by a fault rule", {});
  assert.equal(fromRemoteError(remote), remote);
});

test("a refusal under ownership fencing crosses the wire with the refusing node's ring version", () => {
  const rebuilt = acrossTheWire(new NotOwnerError(3, 2 ** 40));
  assert.ok(rebuilt instanceof NotOwnerError);
  assert.equal(rebuilt.partition, 3);
  assert.equal(rebuilt.ringVersion, 2 ** 40);
  // A peer claiming a version past the counter ceiling is clamped to it, never believed beyond.
  const claimed = fromRemoteError(
    new RemoteError("peer:7000", "not_owner", "not a replica", { partition: 3, ringVersion: 2 ** 50 }),
  );
  assert.ok(claimed instanceof NotOwnerError);
  assert.equal(claimed.ringVersion, 2 ** 40);
});
