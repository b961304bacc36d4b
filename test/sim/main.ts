import { parseArgs } from "node:util";
import { replayCommand, runSeed } from "./sim-run.js";

const USAGE = `usage: npm run sim -- [--seed N | --seeds K [--start S]] [--nodes M] [--workload-ms MS] [--hint-loss] [--ttl] [--mixed-n] [--verbose] [--watch-key K] [--progress]

Runs the deterministic cluster simulation: a whole ringkv cluster in this process on virtual time,
concurrent clients under random faults, then checks that no acknowledged write was lost, nothing
resurrected, and every key's replicas converged. The same seed always replays the same run.

  --seed N          run seed N only (with --verbose: its trace and the nodes' logs)
  --seeds K         run K consecutive seeds (default 10), starting at --start (default 1)
  --nodes M         nodes the cluster starts with (default: drawn from the seed, 5..50; 3 is the
                    smallest topology, N=3 with no fallback node)
  --hint-loss       crashes may also lose the crashed node's hints
  --ttl             a quarter of the writes expire (1-3 s time to live); checks that no expired
                    value is ever read again and every copy keeps its deadline
  --mixed-n         keys spread over default and two namespaces set up as the workload starts,
                    one with n=2 and one with n=N+1; checks every key is held alike by the first
                    n of its preference list and nothing is left outside them
  --workload-ms MS  virtual time of workload under faults (default 20000)
  --verbose         print the trace and node logs (info and above) as the run goes
  --watch-key K     print what every node holds of key K (values, dots, hints) whenever it changes
  --progress        print a line for every seed, not only for failures`;

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0)
    throw new Error(`${name} must be a non-negative integer, got ${value}`);
  return parsed;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: "string" },
      seeds: { type: "string" },
      start: { type: "string" },
      nodes: { type: "string" },
      "workload-ms": { type: "string" },
      "hint-loss": { type: "boolean", default: false },
      ttl: { type: "boolean", default: false },
      "mixed-n": { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      "watch-key": { type: "string" },
      progress: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const seed = positiveInt(values.seed, "--seed");
  const start = seed ?? positiveInt(values.start, "--start") ?? 1;
  const count = seed === undefined ? (positiveInt(values.seeds, "--seeds") ?? 10) : 1;
  const nodes = positiveInt(values.nodes, "--nodes");
  if (nodes !== undefined && (nodes < 3 || nodes > 50)) throw new Error("--nodes must be in 3..50");
  const workloadMs = positiveInt(values["workload-ms"], "--workload-ms");
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let failed = 0;
  const startedMs = performance.now();
  for (let s = start; s < start + count; s++) {
    const result = await runSeed({
      seed: s,
      nodes,
      workloadMs,
      verbose: values.verbose,
      print,
      watchKey: values["watch-key"],
      hintLoss: values["hint-loss"],
      ttl: values.ttl,
      mixedN: values["mixed-n"],
    });
    if (!result.ok) {
      failed += 1;
      print(
        `${result.summary}\n  first problem: ${result.problems[0]?.split("\n")[0] ?? "?"}\n  replay: ${replayCommand({ seed: s, nodes, workloadMs, hintLoss: values["hint-loss"], ttl: values.ttl, mixedN: values["mixed-n"] })}`,
      );
      if (count === 1 || values.verbose) {
        print("problems:");
        for (const problem of result.problems) print(`  ${problem}`);
        print("last trace lines:");
        for (const line of result.tail) print(`  ${line}`);
      }
    } else if (values.progress || count === 1) print(result.summary);
    if (count === 1) print(`trace sha256 ${result.traceHash}`);
  }
  const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  print(
    `${count - failed}/${count} seeds passed (${start}..${start + count - 1}), ${failed} failed, ${seconds} s`,
  );
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 2;
  },
);
