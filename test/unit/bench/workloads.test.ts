import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CoreWorkload, keyName } from "../../../src/bench/core-workload.js";
import { OperationChooser } from "../../../src/bench/operation-chooser.js";
import { OPERATIONS, type Operation, WORKLOAD_NAMES, WORKLOADS } from "../../../src/bench/workloads.js";
import { SeededRandom } from "../../../src/random/seeded-random.js";

describe("YCSB core workloads", () => {
  test("A, B, C, D and F have YCSB's proportions and request distributions", () => {
    const shape = Object.fromEntries(
      WORKLOAD_NAMES.map((n) => [
        n,
        { ...WORKLOADS[n].proportions, distribution: WORKLOADS[n].distribution },
      ]),
    );
    assert.deepEqual(shape, {
      a: { read: 0.5, update: 0.5, insert: 0, readModifyWrite: 0, distribution: "zipfian" },
      b: { read: 0.95, update: 0.05, insert: 0, readModifyWrite: 0, distribution: "zipfian" },
      c: { read: 1, update: 0, insert: 0, readModifyWrite: 0, distribution: "zipfian" },
      d: { read: 0.95, update: 0, insert: 0.05, readModifyWrite: 0, distribution: "latest" },
      f: { read: 0.5, update: 0, insert: 0, readModifyWrite: 0.5, distribution: "zipfian" },
    });
  });

  for (const name of WORKLOAD_NAMES) {
    test(`workload ${name} issues its operations in its proportions (within 1%)`, () => {
      const spec = WORKLOADS[name];
      const workload = new CoreWorkload(
        spec,
        { records: 1000, operations: 100_000, distribution: undefined, keyPrefix: "user" },
        new SeededRandom(21),
      );
      const seen: Record<Operation, number> = { read: 0, update: 0, insert: 0, readModifyWrite: 0 };
      const draws = 100_000;
      for (let i = 0; i < draws; i++) {
        const planned = workload.next();
        seen[planned.operation]++;
        if (planned.insertedRecord !== undefined) workload.acknowledgeInsert(planned.insertedRecord);
      }
      for (const operation of OPERATIONS) {
        const observed = seen[operation] / draws;
        assert.ok(
          Math.abs(observed - spec.proportions[operation]) < 0.01,
          `${operation}: ${observed} vs ${spec.proportions[operation]}`,
        );
      }
    });
  }

  test("inserts take new record numbers after the loaded ones; reads only pick existing records", () => {
    const records = 100;
    const workload = new CoreWorkload(
      WORKLOADS.d,
      { records, operations: undefined, distribution: undefined, keyPrefix: "user" },
      new SeededRandom(4),
    );
    const existing = new Set(Array.from({ length: records }, (_, i) => keyName(i)));
    let nextInsert = records;
    for (let i = 0; i < 5000; i++) {
      const planned = workload.next();
      if (planned.operation === "insert") {
        assert.equal(planned.insertedRecord, nextInsert++);
        assert.equal(planned.key, keyName(planned.insertedRecord!));
        // Readers must not see the record before its insert is acknowledged.
        workload.acknowledgeInsert(planned.insertedRecord!);
        existing.add(planned.key);
      } else {
        assert.ok(existing.has(planned.key), `read of ${planned.key}, which was never inserted`);
      }
    }
    assert.equal(workload.recordsAcknowledged, nextInsert);
  });

  test("--distribution overrides the workload's own", () => {
    const workload = new CoreWorkload(
      WORKLOADS.a,
      { records: 1000, operations: 1000, distribution: "uniform", keyPrefix: "user" },
      new SeededRandom(2),
    );
    assert.equal(workload.distribution, "uniform");
    const records = new Set(Array.from({ length: 20_000 }, () => workload.nextRecord()));
    // Uniform over 1000 records touches nearly all of them in 20000 draws; zipfian would not.
    assert.ok(records.size > 990, `${records.size} records touched`);
  });

  test("keys are YCSB's: user followed by the hashed record number", () => {
    assert.match(keyName(0), /^user[0-9]+$/);
    assert.notEqual(keyName(1), keyName(2));
    assert.equal(keyName(7, "lat"), keyName(7).replace(/^user/, "lat"));
  });

  test("the operation chooser rejects a workload with nothing to do", () => {
    assert.throws(
      () => new OperationChooser(new SeededRandom(1), { read: 0, update: 0, insert: 0, readModifyWrite: 0 }),
      /at least one operation/,
    );
  });
});
