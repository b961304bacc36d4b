import assert from "node:assert/strict";
import { test } from "node:test";
import { RoutingTable } from "../../../src/client/routing-table.js";
import { partitionOf } from "../../../src/core/partition.js";

const members = [
  { id: "a", http: "127.0.0.1:8001", state: "active", status: "up" },
  { id: "b", http: "127.0.0.1:8002", state: "active", status: "up" },
  { id: "c", http: "http://127.0.0.1:8003", state: "active", status: "down" },
  { id: "d", http: "127.0.0.1:8004", state: "left", status: "down" },
];
const owners = [
  ["a", "b", "c", "d"],
  ["b", "c", "a", "d"],
  ["c", "a", "b", "d"],
  ["a", "c", "b", "d"],
];

test("a key's home replicas are the first N of its partition's preference list, as URLs", () => {
  const table = RoutingTable.from({ partitions: 4, n: 2, version: 7, owners }, { members });
  assert.equal(table.version, 7);
  for (const key of ["alpha", "beta", "gamma", "delta", "ε"]) {
    const p = partitionOf(Buffer.from(key), 4);
    const expected = owners[p]!.slice(0, 2).map((id) => members.find((m) => m.id === id)!.http);
    assert.deepEqual(
      table.homeOf(Buffer.from(key)),
      expected.map((h) => (h.startsWith("http") ? h : `http://${h}`)),
    );
  }
});

test("members that left are not routed to", () => {
  const table = RoutingTable.from({ partitions: 4, n: 2, version: 1, owners }, { members });
  assert.deepEqual(table.allNodes().sort(), [
    "http://127.0.0.1:8001",
    "http://127.0.0.1:8002",
    "http://127.0.0.1:8003",
  ]);
});

test("a malformed ring answer is refused, not routed by", () => {
  assert.throws(
    () => RoutingTable.from({ partitions: 4, n: 2, owners: owners.slice(0, 3) }, { members }),
    TypeError,
  );
  assert.throws(() => RoutingTable.from({ partitions: 4, n: 2, owners } as never, {} as never), TypeError);
});
