import { parseArgs } from "node:util";
import { isWorkloadName, type WorkloadName } from "../../src/bench/workloads.js";

export const COMPARE_TARGETS = ["ringkv", "etcd", "redis-always", "redis-everysec"] as const;
export type CompareTarget = (typeof COMPARE_TARGETS)[number];

export interface CompareOptions {
  targets: CompareTarget[];
  workloads: WorkloadName[];
  /** Each workload runs this long on each store. */
  durationS: number;
  records: number;
  connections: number;
  valueBytes: number;
  seed: number;
  /** ringkv cluster sizes to measure; the comparison tables use 3 nodes when listed. */
  ringkvSizes: number[];
  /** Client protocols ringkv is measured with, each on a cluster of its own (binary first: the comparison tables use it). */
  ringkvProtocols: ("binary" | "http")[];
  /** Single-client latency run (workload A, one connection) per store; 0 turns it off. */
  latencyDurationS: number;
  latencyRecords: number;
  /** The markdown file whose section this run replaces. */
  out: string;
  installPackages: boolean;
  /** A remark printed at the top of the section (e.g. that the machine was busy). */
  note: string | undefined;
}

export const COMPARE_USAGE = `Usage: npm run bench:compare -- [options]

Starts a ringkv cluster, an etcd cluster and Redis on 127.0.0.1, runs the same YCSB workloads
against each with \`ringkv bench\`, stops everything it started, and writes the results into the
"## YCSB: ringkv vs etcd vs Redis" section of BENCHMARKS.md.

Options:
  --targets LIST             stores to measure (default ${COMPARE_TARGETS.join(",")})
  --workloads LIST           YCSB workloads in run order (default a,b,c,f,d)
  --duration-s N             seconds per workload and store (default 25)
  --records N                records loaded into each store (default 100000)
  --connections N            concurrent bench clients (default 50; 1 measures single-client latency)
  --value-bytes N            value size (default 1024)
  --seed N                   bench seed (default 1)
  --ringkv-sizes LIST        ringkv cluster sizes, e.g. 1,3,5 for a scaling table (default 3)
  --ringkv-protocols LIST    client protocols for ringkv: binary, http or both (default binary)
  --latency-duration-s N     single-client latency run per store, workload A (default 10; 0 = off)
  --latency-records N        records for the latency run (default 1000)
  --out PATH                 markdown file to update (default ./BENCHMARKS.md)
  --no-install               never run apt-get; fail if etcd or redis-server is missing
  --note TEXT                a remark printed at the top of the section
  --help                     this text
`;

export class CompareUsageError extends Error {}

function positiveInt(value: string, flag: string, min = 1): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min)
    throw new CompareUsageError(`${flag} must be an integer >= ${min}, got "${value}"`);
  return Number(value);
}

function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
}

/** Parses the command line; a bad flag is a CompareUsageError with a one-line message. */
export function parseCompareOptions(argv: string[]): CompareOptions | "help" {
  let values: ReturnType<typeof parseArgs>["values"];
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        targets: { type: "string" },
        workloads: { type: "string" },
        "duration-s": { type: "string" },
        records: { type: "string" },
        connections: { type: "string" },
        "value-bytes": { type: "string" },
        seed: { type: "string" },
        "ringkv-sizes": { type: "string" },
        "ringkv-protocols": { type: "string" },
        "latency-duration-s": { type: "string" },
        "latency-records": { type: "string" },
        out: { type: "string" },
        "no-install": { type: "boolean" },
        note: { type: "string" },
        help: { type: "boolean" },
      },
    }).values;
  } catch (error) {
    throw new CompareUsageError(
      error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error),
    );
  }
  if (values.help === true) return "help";
  const str = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
  };
  const targets = list(str("targets") ?? COMPARE_TARGETS.join(","));
  for (const t of targets)
    if (!(COMPARE_TARGETS as readonly string[]).includes(t))
      throw new CompareUsageError(
        `--targets: unknown store "${t}"; choose from ${COMPARE_TARGETS.join(", ")}`,
      );
  const workloads = list(str("workloads") ?? "a,b,c,f,d");
  for (const w of workloads)
    if (!isWorkloadName(w))
      throw new CompareUsageError(`--workloads: unknown workload "${w}"; choose from a, b, c, d, f`);
  const sizes = list(str("ringkv-sizes") ?? "3").map((s) => positiveInt(s, "--ringkv-sizes"));
  const protocols = list(str("ringkv-protocols") ?? "binary");
  for (const p of protocols)
    if (p !== "binary" && p !== "http")
      throw new CompareUsageError(`--ringkv-protocols: unknown protocol "${p}"; choose from binary, http`);
  if (protocols.length === 0) throw new CompareUsageError("--ringkv-protocols needs at least one entry");
  if (targets.length === 0 || workloads.length === 0 || sizes.length === 0)
    throw new CompareUsageError("--targets, --workloads and --ringkv-sizes need at least one entry");
  return {
    targets: targets as CompareTarget[],
    workloads: workloads as WorkloadName[],
    durationS: positiveInt(str("duration-s") ?? "25", "--duration-s"),
    records: positiveInt(str("records") ?? "100000", "--records"),
    connections: positiveInt(str("connections") ?? "50", "--connections"),
    valueBytes: positiveInt(str("value-bytes") ?? "1024", "--value-bytes", 0),
    seed: positiveInt(str("seed") ?? "1", "--seed", 0),
    ringkvSizes: [...new Set(sizes)],
    // Binary first, so the comparison tables (the first 3-node ringkv) show the default.
    ringkvProtocols: (["binary", "http"] as const).filter((p) => protocols.includes(p)),
    latencyDurationS: positiveInt(str("latency-duration-s") ?? "10", "--latency-duration-s", 0),
    latencyRecords: positiveInt(str("latency-records") ?? "1000", "--latency-records"),
    out: str("out") ?? "BENCHMARKS.md",
    installPackages: values["no-install"] !== true,
    note: str("note"),
  };
}
