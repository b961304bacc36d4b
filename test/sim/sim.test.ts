import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type RunOptions, type RunResult, replayCommand, runSeed } from "./sim-run.js";

/** Seeds every build runs; a failure names the seed and the command that replays it. */
const CI_SEEDS = 40;
const CI_WORKLOAD_MS = 10_000;
/** Seeds on the smallest topology (3 nodes, N=3: no fallback node), with crashes that lose hints. */
const CI_SMALL_SEEDS = 20;
/** Seeds with expiring writes, every other one on the smallest topology. */
const CI_TTL_SEEDS = 16;
/** Seeds with namespaces of n=2 and n=N+1 set up as the workload starts, every other one on 3 nodes. */
const CI_MIXED_N_SEEDS = 16;

/**
 * Seeds that found a bug once, with what it was. They run with the default workload (the one they
 * failed with), so each keeps replaying the exact run that exposed the bug.
 */
const REGRESSION_SEEDS: readonly { seed: number; bug: string }[] = [
  { seed: 31, bug: "a node that left while still joining (never planned into the ring) never departed" },
  { seed: 102, bug: "a node restarted after it had left never departed" },
  { seed: 44, bug: "a gossip push carried a ring naming a member the peer had never heard of" },
  { seed: 65, bug: "a write only a leaving node held was lost when it left while cut off" },
];

async function run(options: Omit<RunOptions, "verbose" | "print">): Promise<RunResult> {
  return runSeed({ ...options, verbose: false, print: () => undefined });
}

function explain(
  result: RunResult,
  options: Pick<RunOptions, "seed" | "workloadMs" | "nodes" | "hintLoss" | "ttl" | "mixedN">,
): string {
  return [
    result.summary,
    ...result.problems.slice(0, 10).map((p) => `  ${p}`),
    `replay: ${replayCommand(options)}`,
  ].join("\n");
}

describe("deterministic simulation", () => {
  test(`seeds 1..${CI_SEEDS} keep every invariant under faults`, async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= CI_SEEDS; seed++) {
      const result = await run({ seed, workloadMs: CI_WORKLOAD_MS });
      if (!result.ok) failures.push(explain(result, { seed, workloadMs: CI_WORKLOAD_MS }));
    }
    assert.equal(failures.length, 0, failures.join("\n\n"));
  });

  test(`seeds 1..${CI_SMALL_SEEDS} on 3 nodes (N=3, no fallback), crashes losing hints, keep every invariant`, async () => {
    const failures: string[] = [];
    let hintLosses = 0;
    for (let seed = 1; seed <= CI_SMALL_SEEDS; seed++) {
      const options = { seed, nodes: 3, hintLoss: true, workloadMs: CI_WORKLOAD_MS };
      const result = await run(options);
      if (!result.ok) failures.push(explain(result, options));
      hintLosses += /crash-lose-hints:(\d+)/.test(result.stats.faults) ? 1 : 0;
    }
    assert.equal(failures.length, 0, failures.join("\n\n"));
    assert.ok(hintLosses > 0, "some runs lost a node's hints");
  });

  test(`seeds 1..${CI_TTL_SEEDS} with expiring writes: no expired value is read again, every copy keeps its deadline`, async () => {
    const failures: string[] = [];
    let expiring = 0;
    for (let seed = 1; seed <= CI_TTL_SEEDS; seed++) {
      const options = {
        seed,
        ttl: true,
        workloadMs: CI_WORKLOAD_MS,
        ...(seed % 2 === 0 ? { nodes: 3 } : {}),
      };
      const result = await run(options);
      if (!result.ok) failures.push(explain(result, options));
      expiring += result.stats.expiringAcked;
    }
    assert.equal(failures.length, 0, failures.join("\n\n"));
    assert.ok(expiring > 100, `the runs acknowledged expiring writes (${expiring})`);
  });

  test(`seeds 1..${CI_MIXED_N_SEEDS} with namespaces of n=2 and n=N+1: every key is held alike by its first n replicas and nowhere else`, async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= CI_MIXED_N_SEEDS; seed++) {
      const options = {
        seed,
        mixedN: true,
        workloadMs: CI_WORKLOAD_MS,
        ...(seed % 2 === 0 ? { nodes: 3 } : {}),
      };
      const result = await run(options);
      if (!result.ok) failures.push(explain(result, options));
    }
    assert.equal(failures.length, 0, failures.join("\n\n"));
  });

  test("regression seed 5082 (mixed n): a key dropped by reclaim after its namespace's n changed, before anti-entropy rebuilt its trees, broke the trees' assertion", async () => {
    const options = { seed: 5082, mixedN: true };
    const result = await run(options);
    assert.ok(result.ok, explain(result, options));
  });

  for (const { seed, bug } of REGRESSION_SEEDS) {
    test(`regression seed ${seed}: ${bug}`, async () => {
      const result = await run({ seed });
      assert.ok(result.ok, explain(result, { seed }));
    });
  }

  test("a seed replays exactly: two runs give byte-identical traces", async () => {
    const first = await run({ seed: 7, workloadMs: 5000 });
    const second = await run({ seed: 7, workloadMs: 5000 });
    assert.ok(first.ok, explain(first, { seed: 7, workloadMs: 5000 }));
    assert.ok(first.stats.ops > 50, `the run did some work (${first.stats.ops} operations)`);
    assert.equal(second.traceHash, first.traceHash);
    assert.deepEqual(second.stats.timers, first.stats.timers);
    const other = await run({ seed: 8, workloadMs: 5000 });
    assert.notEqual(other.traceHash, first.traceHash, "another seed is another run");
  });
});
