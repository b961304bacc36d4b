import assert from "node:assert/strict";
import { test } from "node:test";
import { type GateTicket, RequestGate } from "../../src/net/request-gate.js";

test("a gate runs inFlightMax at once, queues waitQueueMax, refuses the rest, and hands slots out first come first served", () => {
  const gate = new RequestGate(2, 2);
  const started: string[] = [];
  const admit = (name: string): GateTicket | undefined => gate.admit(() => started.push(name));
  const a = admit("a");
  const b = admit("b");
  const c = admit("c");
  const d = admit("d");
  assert.deepEqual([a?.state, b?.state, c?.state, d?.state], ["running", "running", "waiting", "waiting"]);
  assert.equal(admit("e"), undefined);
  assert.ok(a !== undefined && c !== undefined);
  gate.release(a);
  assert.deepEqual(started, ["c"]);
  gate.release(a);
  assert.equal(gate.inFlight, 2, "releasing twice frees one slot only");
  assert.equal(gate.queued, 1);
});

test("a waiter that gives up leaves the queue without taking a slot", () => {
  const gate = new RequestGate(1, 2);
  const started: string[] = [];
  const a = gate.admit(() => started.push("a"));
  const b = gate.admit(() => started.push("b"));
  const c = gate.admit(() => started.push("c"));
  assert.ok(a !== undefined && b !== undefined && c !== undefined);
  gate.release(b);
  assert.equal(gate.queued, 1);
  gate.release(a);
  assert.deepEqual(started, ["c"]);
  assert.equal(gate.inFlight, 1);
});
