import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BenchResult } from "../../src/bench/bench-result.js";
import { useCluster } from "../support/cluster.js";
import { runCliAsync } from "../support/node-process.js";

describe("ringkv bench against a 3-node cluster of real processes (N=3, R=2, W=2)", {
  timeout: 180_000,
}, () => {
  const { cluster, track } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 64 });

  test("loads the records, runs workloads A, F and D for two seconds each, and reports them as JSON", () =>
    track(async () => {
      const nodes = cluster.nodes.map((n) => n.url).join(",");
      const r = await runCliAsync([
        "bench",
        "--nodes",
        nodes,
        "--workload",
        "a,f,d",
        "--records",
        "300",
        "--value-bytes",
        "256",
        "--connections",
        "8",
        "--duration-s",
        "2",
        "--seed",
        "5",
        "--json",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as BenchResult;
      assert.equal(result.target, "ringkv");
      assert.deepEqual(result.settings, {
        records: 300,
        valueBytes: 256,
        keyPrefix: "user",
        connections: 8,
        durationS: 2,
        operations: null,
        targetRateOpsPerS: null,
        seed: 5,
        distribution: null,
        skipLoad: false,
      });
      assert.ok(result.load !== null);
      assert.equal(result.load.ops, 300);
      assert.equal(result.load.errors, 0, result.load.errorSamples.join("; "));
      assert.deepEqual(
        result.runs.map((run) => [run.workload, run.distribution]),
        [
          ["a", "zipfian"],
          ["f", "zipfian"],
          ["d", "latest"],
        ],
      );
      const expectedOperations = {
        a: ["read", "update"],
        f: ["read", "readModifyWrite"],
        d: ["insert", "read"],
      };
      for (const run of result.runs) {
        assert.equal(run.errors, 0, `${run.workload}: ${run.errorSamples.join("; ")}`);
        assert.ok(run.ops > 0, `workload ${run.workload} did no operation`);
        assert.ok(run.throughputOpsPerS > 0);
        assert.ok(run.elapsedS >= 2 && run.elapsedS < 15, `${run.elapsedS} s`);
        assert.deepEqual(
          Object.keys(run.operations).sort(),
          expectedOperations[run.workload as "a" | "f" | "d"],
        );
        for (const op of Object.values(run.operations)) {
          assert.ok(op !== undefined && op.ops > 0);
          // Every record was loaded (or inserted and acknowledged) before it was read.
          assert.equal(op.notFound, 0);
          const l = op.latency;
          assert.equal(l.count, op.ops);
          assert.ok(l.p50Ms > 0 && l.p50Ms <= l.p95Ms && l.p95Ms <= l.p99Ms && l.p99Ms <= l.p999Ms);
          assert.ok(l.p999Ms <= l.maxMs + 0.001 && l.meanMs > 0);
        }
      }
      assert.deepEqual(Object.keys(result.driverStats).sort(), [
        "contextReads",
        "siblingReads",
        "writesLeavingSiblings",
      ]);
      // The load gave the driver every record's context: no update had to read one first.
      assert.equal(result.driverStats.contextReads, 0);
    }));

  test("the text report names each workload and its latency columns", () =>
    track(async () => {
      const r = await runCliAsync([
        "bench",
        "--node",
        cluster.nodes[1]!.url,
        "--workload",
        "c",
        "--records",
        "100",
        "--connections",
        "4",
        "--operations",
        "200",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^load: 100 ops in /m);
      assert.match(r.stdout, /^workload c \(read only: 100% read, zipfian\): 200 ops in .* 0 errors/m);
      assert.match(
        r.stdout,
        /operation\s+ops\s+errors\s+not found\s+mean ms\s+p50\s+p95\s+p99\s+p99\.9\s+max/,
      );
      // No terminal on stderr: no progress line.
      assert.equal(r.stderr, "");
    }));
  test("--ns keeps the run's keys in that namespace; with another target it is a usage error", () =>
    track(async () => {
      const node = cluster.nodes[0]?.url ?? "";
      const r = await runCliAsync([
        "bench",
        "--node",
        node,
        "--ns",
        "benchns",
        "--workload",
        "c",
        "--records",
        "40",
        "--operations",
        "40",
        "--key-prefix",
        "nsload",
        "--json",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const inNs = (await (await fetch(`${node}/keys/benchns?limit=1000`)).json()) as { keys: string[] };
      assert.equal(inNs.keys.length, 40);
      assert.ok(inNs.keys.every((k) => k.startsWith("nsload")));
      const inDefault = (await (await fetch(`${node}/keys?prefix=nsload`)).json()) as { keys: string[] };
      assert.deepEqual(inDefault.keys, []);
      const wrong = await runCliAsync(["bench", "--target", "redis", "--ns", "benchns"]);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /--ns applies to --target ringkv only/);
    }));
});
