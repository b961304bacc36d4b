import {
  type BenchOptions,
  type BenchResult,
  DISTRIBUTIONS,
  defaultBenchOptions,
  formatBenchReport,
  formatProgress,
  isDistribution,
  isWorkloadName,
  openDriver,
  type Progress,
  runBench,
  TARGETS,
  type TargetOptions,
  validateBenchOptions,
  WORKLOAD_NAMES,
  type WorkloadName,
} from "../bench/index.js";
import { CLIENT_PROTOCOLS, type ClientProtocol, type QuorumParams } from "../client/index.js";
import { ConfigError } from "../errors.js";
import { CA_FLAG, NODE_FLAG, securityFromFlags, TOKEN_FLAG } from "./client-flags.js";
import type { CommandSpec, FlagName, ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

const DEFAULT_DURATION_S = 30;

export const benchSpec = {
  name: "bench",
  summary:
    "Benchmark a store with YCSB core workloads (A, B, C, D, F): load records, run, print throughput and latency percentiles.",
  usage:
    "ringkv bench [--workload a|b|c|d|f|a,b,c,f,d] [--records N] [--connections N] [--duration-s S | --operations N] [--target ringkv|redis|etcd] [--ns NS] [--json]",
  positionals: [0, 0],
  flags: [
    {
      name: "workload",
      type: "string",
      default: "a",
      description:
        "YCSB workload: a (50% read/50% update), b (95/5 read/update), c (read only), d (95/5 read/insert, latest), f (50/50 read/read-modify-write); a comma list runs each in turn on the same records",
    },
    {
      name: "distribution",
      type: "string",
      description: `request distribution instead of the workload's own: ${DISTRIBUTIONS.join(", ")} (hotspot: 80% of operations on 20% of records)`,
    },
    {
      name: "records",
      type: "integer",
      default: String(defaultBenchOptions.records),
      description: "records the load phase inserts and the run reads and updates",
    },
    {
      name: "skip-load",
      type: "boolean",
      description: "skip the load phase: the records are already there (same --records)",
    },
    {
      name: "value-bytes",
      type: "integer",
      default: String(defaultBenchOptions.valueBytes),
      description: "size of every value written",
    },
    {
      name: "key-prefix",
      type: "string",
      default: defaultBenchOptions.keyPrefix,
      description: "key names are this prefix and a hash of the record number, as YCSB's",
    },
    {
      name: "connections",
      short: "c",
      type: "integer",
      default: String(defaultBenchOptions.connections),
      description: "concurrent clients, each with one operation in flight",
    },
    {
      name: "duration-s",
      short: "d",
      type: "integer",
      description: `run each workload this many seconds (default ${DEFAULT_DURATION_S} unless --operations is given)`,
    },
    {
      name: "operations",
      type: "integer",
      description: "run each workload for this many operations instead",
    },
    {
      name: "target-rate",
      type: "integer",
      description:
        "pace the run to this many operations per second in total; latency then also counts from each operation's planned start",
    },
    {
      name: "seed",
      type: "integer",
      default: String(defaultBenchOptions.seed),
      description: "seed for keys, operations and values",
    },
    {
      name: "target",
      type: "string",
      default: "ringkv",
      description: `store to benchmark: ${TARGETS.join(", ")}`,
    },
    { ...NODE_FLAG, description: "ringkv: HTTP address of a node (the client learns the others)" },
    TOKEN_FLAG,
    CA_FLAG,
    {
      name: "nodes",
      type: "string",
      description: "ringkv: comma-separated HTTP addresses of several nodes (instead of --node)",
    },
    {
      name: "r",
      type: "string",
      description: "ringkv: read quorum: 1..N, one, quorum or all (default: the cluster's)",
    },
    {
      name: "w",
      type: "string",
      description: "ringkv: write quorum: 1..N, one, quorum or all (default: the cluster's)",
    },
    {
      name: "ns",
      type: "string",
      description: "ringkv: namespace of every key of the run (default: default)",
    },
    {
      name: "protocol",
      type: "string",
      description: `ringkv: client protocol, ${CLIENT_PROTOCOLS.join(" or ")} (default: binary, the client library's)`,
    },
    { name: "redis", type: "string", description: "redis: server URL (default redis://127.0.0.1:6379)" },
    {
      name: "etcd",
      type: "string",
      description: "etcd: comma-separated client endpoints (default http://127.0.0.1:2379)",
    },
    {
      name: "request-timeout-ms",
      type: "integer",
      default: "10000",
      description: "an operation that takes longer fails",
    },
    { name: "json", type: "boolean", description: "print the results as JSON on stdout" },
  ],
} as const satisfies CommandSpec;

type BenchFlags = ParsedFlags<typeof benchSpec>;

export async function runBenchCommand(flags: BenchFlags, out: Output): Promise<number> {
  const options = benchOptionsFromFlags(flags);
  const target = targetFromFlags(flags);
  const requestTimeoutMs = flags.get("request-timeout-ms");
  if (requestTimeoutMs < 1) throw new ConfigError("--request-timeout-ms must be at least 1");
  // Bad counts are a usage error before anything connects.
  validateBenchOptions(options);
  const driver = await openDriver(target, options.connections, requestTimeoutMs);
  // A progress line only where someone watches: a terminal on stderr.
  const showProgress = process.stderr.isTTY === true;
  let result: BenchResult;
  try {
    result = await runBench(
      options,
      driver,
      showProgress ? { onProgress: (p: Progress) => out.stderr(`\r${formatProgress(p)}\x1b[K`) } : {},
    );
  } finally {
    if (showProgress) out.stderr("\r\x1b[K");
    await driver.close();
  }
  out.stdout(flags.get("json") ? `${JSON.stringify(result, null, 2)}\n` : formatBenchReport(result));
  const aborted = [result.load, ...result.runs].some((p) => p?.aborted !== undefined);
  return aborted ? 1 : 0;
}

export function benchOptionsFromFlags(flags: BenchFlags): BenchOptions {
  const workloads = flags
    .get("workload")
    .split(",")
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w !== "");
  for (const w of workloads) {
    if (!isWorkloadName(w))
      throw new ConfigError(
        `--workload must be one of ${WORKLOAD_NAMES.join(", ")} (or a comma list), got "${w}"`,
      );
  }
  const distribution = flags.get("distribution");
  if (distribution !== undefined && !isDistribution(distribution))
    throw new ConfigError(`--distribution must be one of ${DISTRIBUTIONS.join(", ")}, got "${distribution}"`);
  const durationS = flags.get("duration-s");
  const operations = flags.get("operations");
  if (durationS !== undefined && operations !== undefined)
    throw new ConfigError("give either --duration-s or --operations, not both");
  const targetRate = flags.get("target-rate");
  if (targetRate === 0) throw new ConfigError("--target-rate must be at least 1 operation per second");
  return {
    ...defaultBenchOptions,
    workloads: workloads as WorkloadName[],
    distribution,
    records: flags.get("records"),
    skipLoad: flags.get("skip-load"),
    valueBytes: flags.get("value-bytes"),
    keyPrefix: flags.get("key-prefix"),
    connections: flags.get("connections"),
    durationMs: operations !== undefined ? undefined : (durationS ?? DEFAULT_DURATION_S) * 1000,
    operations,
    targetRatePerSecond: targetRate,
    seed: flags.get("seed"),
  };
}

function clientProtocol(text: string | undefined): ClientProtocol | undefined {
  if (text === undefined) return undefined;
  const protocol = CLIENT_PROTOCOLS.find((p) => p === text);
  if (protocol === undefined)
    throw new ConfigError(`--protocol must be one of ${CLIENT_PROTOCOLS.join(", ")}, got "${text}"`);
  return protocol;
}

export function targetFromFlags(flags: BenchFlags): TargetOptions {
  const target = flags.get("target");
  const only = (names: readonly FlagName<typeof benchSpec>[], owner: string): void => {
    for (const name of names)
      if (flags.given(name)) throw new ConfigError(`--${name} applies to --target ${owner} only`);
  };
  switch (target) {
    case "ringkv": {
      only(["redis", "etcd"], "redis or etcd");
      const nodes = flags.get("nodes");
      const list = nodes === undefined ? [flags.get("node")] : splitList(nodes);
      if (list.length === 0) throw new ConfigError("--nodes needs at least one URL");
      for (const url of list) checkUrl(url, "--nodes", ["http:", "https:"]);
      return {
        target,
        nodes: list,
        r: quorum(flags.get("r"), "r"),
        w: quorum(flags.get("w"), "w"),
        security: securityFromFlags(flags),
        ns: flags.get("ns"),
        protocol: clientProtocol(flags.get("protocol")),
      };
    }
    case "redis": {
      only(["nodes", "r", "w", "ns", "protocol", "etcd"], "ringkv");
      const url = flags.get("redis") ?? "redis://127.0.0.1:6379";
      checkUrl(url, "--redis", ["redis:", "rediss:"]);
      return { target, url };
    }
    case "etcd": {
      only(["nodes", "r", "w", "ns", "protocol", "redis"], "ringkv");
      const endpoints = splitList(flags.get("etcd") ?? "http://127.0.0.1:2379");
      if (endpoints.length === 0) throw new ConfigError("--etcd needs at least one endpoint");
      for (const url of endpoints) checkUrl(url, "--etcd", ["http:", "https:"]);
      return { target, endpoints };
    }
    default:
      throw new ConfigError(`--target must be one of ${TARGETS.join(", ")}, got "${target}"`);
  }
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function checkUrl(text: string, flag: string, protocols: string[]): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${flag} "${text}" is not a URL like ${protocols[0]}//127.0.0.1:port`);
  }
  if (!protocols.includes(url.protocol))
    throw new ConfigError(`${flag} "${text}" must start with ${protocols.map((p) => `${p}//`).join(" or ")}`);
}

function quorum(value: string | undefined, name: "r" | "w"): QuorumParams["r"] {
  if (value === undefined) return undefined;
  if (value === "one" || value === "quorum" || value === "all") return value;
  if (!/^[1-9][0-9]*$/.test(value))
    throw new ConfigError(`--${name} must be a positive number, one, quorum or all, got "${value}"`);
  return Number(value);
}
