import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { testSeed } from "../support/test-seed.js";
import { defaultNemesisOptions, MEMBERSHIP_FAULTS } from "./nemesis.js";
import { formatRunLine, runSetsTest, type SetsRunResult } from "./sets-run.js";

// One short run per mode keeps `npm test` near a minute for this file; `npm run jepsen` runs
// longer and repeatedly (see docs/testing.md).
const DURATION_MS = 20_000;
const seed = testSeed();

function explain(r: SetsRunResult): string {
  const lost = r.lostElements
    .slice(0, 5)
    .map((l) => `${l.key}/${l.element} via ${l.node}`)
    .join(", ");
  return `${formatRunLine(1, 1, r)}${lost === "" ? "" : ` first lost: ${lost}`} ${r.replicaProblems.join("; ")}`;
}

describe("Jepsen-style sets on 5 real processes under kills, pauses and partitions", {
  timeout: 300_000,
}, () => {
  test("causal mode: no acknowledged add is lost, and every key's replicas converge", async (t) => {
    const r = await runSetsTest({ mode: "causal", seed, durationMs: DURATION_MS });
    t.diagnostic(formatRunLine(1, 1, r));
    assert.ok(r.acknowledged > 100, `the workload should have made progress: ${explain(r)}`);
    assert.ok(r.nemesis.length > 0, "the nemesis should have injected faults");
    assert.equal(r.lost, 0, `acknowledged adds were lost: ${explain(r)}`);
    assert.equal(r.phantom, 0, `elements that were never written appeared: ${explain(r)}`);
    assert.ok(r.replicasIdentical, `replicas did not converge: ${explain(r)}`);
    assert.ok(r.finalReadsAgree, `final reads disagreed: ${explain(r)}`);
  });

  test("lww mode, same workload: losses are recorded (expected under concurrent writes), replicas converge", async (t) => {
    const r = await runSetsTest({ mode: "lww", seed, durationMs: DURATION_MS });
    // Last write wins drops concurrent read-modify-writes by design; this run documents how many.
    t.diagnostic(formatRunLine(1, 1, r));
    t.diagnostic(
      r.lost > 0
        ? `lww lost ${r.lost} of ${r.acknowledged} acknowledged adds (${((100 * r.lost) / Math.max(1, r.acknowledged)).toFixed(1)}%)`
        : `lww lost no acknowledged add in this run`,
    );
    assert.ok(r.acknowledged > 100, `the workload should have made progress: ${explain(r)}`);
    assert.equal(r.phantom, 0, `elements that were never written appeared: ${explain(r)}`);
    assert.equal(r.finalSiblings, 0, "an lww read never returns siblings");
    assert.ok(r.replicasIdentical, `replicas did not converge: ${explain(r)}`);
    assert.ok(r.finalReadsAgree, `final reads disagreed: ${explain(r)}`);
  });

  test("causal mode while nodes join and are removed: no acknowledged add is lost, replicas converge", async (t) => {
    const r = await runSetsTest({
      mode: "causal",
      seed,
      durationMs: DURATION_MS,
      nemesis: { ...defaultNemesisOptions, faults: MEMBERSHIP_FAULTS },
    });
    t.diagnostic(formatRunLine(1, 1, r));
    assert.ok(r.acknowledged > 100, `the workload should have made progress: ${explain(r)}`);
    // Starting at 5 members between bounds 4 and 6, any two membership events include a join and a remove.
    const kinds = new Set(r.nemesis.flatMap((e) => e.faults));
    assert.ok(kinds.has("join") && kinds.has("remove"), `a join and a removal happened: ${explain(r)}`);
    assert.equal(r.lost, 0, `acknowledged adds were lost: ${explain(r)}`);
    assert.equal(r.phantom, 0, `elements that were never written appeared: ${explain(r)}`);
    assert.ok(r.replicasIdentical, `replicas did not converge: ${explain(r)}`);
    assert.ok(r.finalReadsAgree, `final reads disagreed: ${explain(r)}`);
  });
});
