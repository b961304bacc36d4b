/**
 * `npm run jepsen -- --runs 10 [--mode causal|lww] [--duration-s 40] [--seed 1]`: runs the
 * Jepsen-style set test repeatedly against fresh clusters of real processes and prints one line
 * per run. `--mixed-quorums` makes every request draw its r and w from 1..3 (stale reads, weak
 * writes); `--no-nemesis` runs the workload with no faults, as a baseline; `--membership` adds
 * the membership faults (nodes join and are removed while the workload runs, see nemesis.ts);
 * `--membership-only` injects those alone, so every fault of the run is a join or a removal. Exits 1 when a causal run lost an acknowledged write (or any run saw a phantom element
 * or replicas that did not converge), 2 on bad arguments. lww runs are expected to lose writes:
 * their losses are reported, not failed on.
 */
import { parseArgs } from "node:util";
import { isConflictMode } from "../../src/core/conflict-mode.js";
import { testSeed } from "../support/test-seed.js";
import { defaultNemesisOptions, MEMBERSHIP_FAULTS, NEMESIS_FAULTS } from "./nemesis.js";
import { formatRunLine, runSetsTest, type SetsRunResult } from "./sets-run.js";

const USAGE =
  "usage: npm run jepsen -- [--runs 10] [--mode causal|lww] [--duration-s 40] [--seed N] [--mixed-quorums] [--no-nemesis] [--membership] [--membership-only] [--verbose]";

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function positiveInt(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`--${name} must be a positive integer, got "${text}"`);
  }
  return value;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>["values"];
  let runs: number;
  let durationS: number;
  let firstSeed: number;
  let mode: string;
  try {
    args = parseArgs({
      options: {
        runs: { type: "string" },
        mode: { type: "string" },
        "duration-s": { type: "string" },
        seed: { type: "string" },
        verbose: { type: "boolean" },
        "mixed-quorums": { type: "boolean" },
        "no-nemesis": { type: "boolean" },
        membership: { type: "boolean" },
        "membership-only": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
    if (args.help === true) {
      out(USAGE);
      return 0;
    }
    runs = positiveInt(args.runs as string | undefined, "runs", 10);
    durationS = positiveInt(args["duration-s"] as string | undefined, "duration-s", 40);
    firstSeed = args.seed === undefined ? testSeed() : positiveInt(args.seed as string, "seed", 1);
    mode = (args.mode as string | undefined) ?? "causal";
    if (!isConflictMode(mode)) throw new Error(`--mode must be causal or lww, got "${mode}"`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (!isConflictMode(mode)) return 2;
  const verbose = args.verbose === true;
  const results: SetsRunResult[] = [];
  let failed = false;
  for (let i = 1; i <= runs; i++) {
    const seed = firstSeed + i - 1;
    const startedAt = Date.now();
    let result: SetsRunResult;
    try {
      result = await runSetsTest({
        mode,
        seed,
        durationMs: durationS * 1000,
        ...(args["mixed-quorums"] === true ? { readQuorums: [1, 2, 3], writeQuorums: [1, 2, 3] } : {}),
        ...(args["no-nemesis"] === true
          ? { nemesis: { ...defaultNemesisOptions, faults: [] } }
          : args["membership-only"] === true
            ? { nemesis: { ...defaultNemesisOptions, faults: MEMBERSHIP_FAULTS } }
            : args.membership === true
              ? { nemesis: { ...defaultNemesisOptions, faults: [...NEMESIS_FAULTS, ...MEMBERSHIP_FAULTS] } }
              : {}),
        log: verbose
          ? (line) => out(`  [${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}`)
          : () => {},
      });
    } catch (error) {
      // The harness itself failed (a node that would not restart, a fault it could not set):
      // no verdict on the store, but not a pass either.
      out(
        `run ${i}/${runs} mode=${mode} seed=${seed} error=${error instanceof Error ? error.message : String(error)}`,
      );
      failed = true;
      continue;
    }
    results.push(result);
    out(formatRunLine(i, runs, result));
    for (const problem of result.replicaProblems) out(`  replicas: ${problem}`);
    for (const lost of result.lostElements.slice(0, 10)) {
      out(
        `  lost: key=${lost.key} element=${lost.element} via=${lost.node} at=${new Date(lost.startedAtMs).toISOString()}`,
      );
    }
    const bad =
      (mode === "causal" && result.lost > 0) ||
      result.phantom > 0 ||
      !result.replicasIdentical ||
      !result.finalReadsAgree;
    if (bad) failed = true;
  }
  const total = (f: (r: SetsRunResult) => number): number => results.reduce((sum, r) => sum + f(r), 0);
  out(
    `summary mode=${mode} runs=${runs} acknowledged=${total((r) => r.acknowledged)} lost=${total((r) => r.lost)} ` +
      `runs-with-loss=${results.filter((r) => r.lost > 0).length} ` +
      `runs-not-converged=${results.filter((r) => !r.replicasIdentical || !r.finalReadsAgree).length}`,
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `jepsen: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
