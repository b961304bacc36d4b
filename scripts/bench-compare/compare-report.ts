import type { PhaseResult, RunResult } from "../../src/bench/bench-result.js";
import type { LatencySummary } from "../../src/bench/latency-histogram.js";
import type { BenchRun } from "./bench-invocation.js";
import type { CompareOptions } from "./compare-options.js";
import type { MachineInfo } from "./machine-info.js";

export const SECTION_HEADING = "## YCSB: ringkv vs etcd vs Redis";

export interface StoreResults {
  id: string;
  label: string;
  kind: "ringkv" | "etcd" | "redis";
  /** ringkv cluster size. */
  nodes: number | undefined;
  startCommands: string[];
  main: BenchRun;
  /** The single-client run (workload A, one connection), when made. */
  latency: BenchRun | undefined;
}

export interface CompareRun {
  options: CompareOptions;
  /** The comparison's own command line. */
  command: string;
  note: string | undefined;
  machine: MachineInfo;
  startedAt: Date;
  finishedAt: Date;
  /** 1-minute load average before the first store started, and its mean and max while measuring. */
  load: { before: number; mean: number; max: number };
  stores: StoreResults[];
}

const OPERATION_NAMES: Record<string, string> = {
  read: "read",
  update: "update",
  insert: "insert",
  readModifyWrite: "read-modify-write",
};

const DURABILITY: Record<StoreResults["kind"], string> = {
  ringkv:
    "a write is acknowledged once W replicas stored it durably (LMDB, flushed to disk, ringkv's default); reads ask R replicas and merge causal histories",
  etcd: "a write is acknowledged once a Raft majority appended it to its fsynced WAL; reads are linearizable (etcd's default, confirmed with the leader)",
  redis:
    "one server, no replication; `appendfsync always` fsyncs the AOF before answering writes, `everysec` once a second (up to a second of acknowledged writes can be lost)",
};

const ms = (v: number): string => v.toFixed(2);
const ops = (v: number): string => Math.round(v).toString();
const upper = (w: string): string => w.toUpperCase();

function row(cells: (string | number)[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** A markdown table: the first `textColumns` columns left-aligned, the figures after them right-aligned. */
function table(header: string[], rows: (string | number)[][], textColumns = 1): string[] {
  const align = header.map((_, i) => (i < textColumns ? "---" : "---:"));
  return [row(header), row(align), ...rows.map(row)];
}

function latencyCells(l: LatencySummary): string[] {
  return [ms(l.p50Ms), ms(l.p95Ms), ms(l.p99Ms), ms(l.p999Ms), ms(l.maxMs)];
}

function clientCpu(p: PhaseResult): string {
  return p.elapsedS > 0 ? `${Math.round((p.clientCpuS / p.elapsedS) * 100)}%` : "n/a";
}

function errorsOf(p: PhaseResult): string {
  return p.aborted === undefined ? String(p.errors) : `${p.errors} (stopped: ${p.aborted})`;
}

/** The store whose ringkv figures the ratios use: 3 nodes when measured, else the first size. */
function referenceRingkv(stores: StoreResults[]): StoreResults | undefined {
  const ringkv = stores.filter((s) => s.kind === "ringkv");
  return ringkv.find((s) => s.nodes === 3) ?? ringkv[0];
}

function runOf(store: StoreResults, workload: string): RunResult | undefined {
  return store.main.result.runs.find((r) => r.workload === workload);
}

/** The markdown section: machine, versions, settings, tables, what each store does, and the commands. */
export function renderCompareSection(run: CompareRun): string {
  const o = run.options;
  const m = run.machine;
  const lines: string[] = [SECTION_HEADING, ""];
  lines.push(
    `Measured ${run.startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC to ${run.finishedAt.toISOString().slice(11, 16)} UTC by \`${run.command}\`. ` +
      "Every store and the bench client ran on the same machine over 127.0.0.1, so they compete for its cores; " +
      "the figures compare the stores under identical conditions, they are not what each does on dedicated hardware.",
  );
  if (run.note !== undefined) lines.push("", `**Note:** ${run.note}`);
  lines.push(
    "",
    "### Machine and versions",
    "",
    ...table(
      ["", ""],
      [
        ["CPU", `${m.cpuModel}, ${m.cores} cores`],
        ["RAM", `${m.ramGiB} GiB`],
        ["OS", m.os],
        [
          "load average (1 min)",
          `${run.load.before} before the run; mean ${run.load.mean}, max ${run.load.max} while measuring`,
        ],
        ["Node.js", m.node],
        ["ringkv", `git ${m.ringkv}`],
        ["etcd", m.etcd],
        ["Redis", m.redis],
      ],
      2,
    ),
    "",
    "### Settings",
    "",
    `YCSB core workloads ${o.workloads.map(upper).join(", ")} (E, range scans, does not apply to a hash-partitioned store), ` +
      `run in that order after one load phase of ${o.records} records per store; ${o.durationS} s per workload; ` +
      `${o.connections} concurrent closed-loop clients; ${o.valueBytes}-byte values; seed ${o.seed}; ` +
      "request distributions as YCSB's (scrambled zipfian with constant 0.99, latest for D). " +
      "Latency is per operation, from sending the request to its answer, in milliseconds.",
  );

  lines.push("", "### Throughput and latency, all operations of each workload", "");
  const mainRows: string[][] = [];
  const phaseRow = (label: string, workload: string, p: PhaseResult): string[] => [
    label,
    workload,
    ops(p.throughputOpsPerS),
    ...latencyCells(p.latency),
    errorsOf(p),
    clientCpu(p),
  ];
  for (const s of run.stores) {
    const load = s.main.result.load;
    if (load !== null) mainRows.push(phaseRow(s.label, "load", load));
    for (const r of s.main.result.runs) mainRows.push(phaseRow(s.label, upper(r.workload), r));
  }
  lines.push(
    ...table(
      [
        "store",
        "workload",
        "ops/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "errors",
        "bench CPU",
      ],
      mainRows,
      2,
    ),
    "",
    "`bench CPU` is the CPU the bench client itself used, in percent of one core: the stores had the rest of the machine.",
  );

  const reference = referenceRingkv(run.stores);
  const others = run.stores.filter((s) => s.kind !== "ringkv");
  if (reference !== undefined && others.length > 0) {
    lines.push(
      "",
      `### ${reference.label} relative to the others (throughput ratio; above 1 means ringkv is faster)`,
      "",
    );
    const ratioRows = o.workloads.map((w) => {
      const mine = runOf(reference, w)?.throughputOpsPerS;
      return [
        w === "a" ? "**A**" : upper(w),
        ...others.map((s) => {
          const theirs = runOf(s, w)?.throughputOpsPerS;
          if (mine === undefined || theirs === undefined || theirs === 0) return "n/a";
          const ratio = `${(mine / theirs).toFixed(2)}x`;
          return w === "a" ? `**${ratio}**` : ratio;
        }),
      ];
    });
    lines.push(...table(["workload", ...others.map((s) => `ringkv / ${s.label}`)], ratioRows));
  }

  lines.push("", "### Latency per operation", "");
  const opRows: string[][] = [];
  for (const s of run.stores) {
    for (const r of s.main.result.runs) {
      for (const [operation, report] of Object.entries(r.operations)) {
        if (report === undefined) continue;
        opRows.push([
          s.label,
          upper(r.workload),
          OPERATION_NAMES[operation] ?? operation,
          String(report.ops),
          ms(report.latency.meanMs),
          ...latencyCells(report.latency),
        ]);
      }
    }
  }
  lines.push(
    ...table(
      [
        "store",
        "workload",
        "operation",
        "ops",
        "mean ms",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
      ],
      opRows,
      3,
    ),
  );

  const ringkvStores = run.stores.filter((s) => s.kind === "ringkv");
  if (ringkvStores.length > 1) {
    lines.push("", "### ringkv scaling: cluster size (throughput, ops/s; p99 in ms in parentheses)", "");
    const scalingRows = ringkvStores.map((s) => [
      s.label,
      ...o.workloads.map((w) => {
        const r = runOf(s, w);
        return r === undefined ? "n/a" : `${ops(r.throughputOpsPerS)} (${ms(r.latency.p99Ms)})`;
      }),
    ]);
    lines.push(...table(["nodes", ...o.workloads.map(upper)], scalingRows));
    lines.push(
      "",
      "All nodes run on the same cores as each other and the client, so more nodes add coordination work without adding CPU: this shows the cost of replication and routing, not scale-out.",
    );
  }

  const latencyStores = run.stores
    .map((s) => ({
      s,
      r: (s.latency ?? (o.connections === 1 ? s.main : undefined))?.result.runs.find(
        (x) => x.workload === "a",
      ),
    }))
    .filter((x): x is { s: StoreResults; r: RunResult } => x.r !== undefined);
  if (latencyStores.length > 0) {
    const seconds = o.connections === 1 ? o.durationS : o.latencyDurationS;
    lines.push(
      "",
      `### Single-client latency (one connection, workload A, ${seconds} s; read = GET / Range, update = PUT / SET / Put)`,
      "",
    );
    lines.push(
      ...table(
        [
          "store",
          "read mean ms",
          "read p50",
          "read p99",
          "update mean ms",
          "update p50",
          "update p99",
          "ops/s",
        ],
        latencyStores.map(({ s, r }) => {
          const read = r.operations.read?.latency;
          const update = r.operations.update?.latency;
          return [
            s.label,
            read === undefined ? "n/a" : ms(read.meanMs),
            read === undefined ? "n/a" : ms(read.p50Ms),
            read === undefined ? "n/a" : ms(read.p99Ms),
            update === undefined ? "n/a" : ms(update.meanMs),
            update === undefined ? "n/a" : ms(update.p50Ms),
            update === undefined ? "n/a" : ms(update.p99Ms),
            ops(r.throughputOpsPerS),
          ];
        }),
      ),
    );
  }

  lines.push("", "### What each store does per operation", "");
  const seen = new Set<string>();
  for (const s of run.stores) {
    if (seen.has(s.kind)) continue;
    seen.add(s.kind);
    lines.push(`- **${s.kind}**: ${s.main.result.driver}. Durability: ${DURABILITY[s.kind]}.`);
  }
  for (const s of ringkvStores) {
    const stats = Object.entries(s.main.result.driverStats)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    if (stats !== "") lines.push(`- ${s.label}, counters over the whole run: ${stats}.`);
  }
  lines.push(
    "- ringkv keeps concurrent writes to a key as siblings (no write is lost). Fifty clients updating the same hot keys with the context they last saw write concurrently now and then: `siblingReads` counts reads that returned siblings, `writesLeavingSiblings` writes that left more than one version, `contextReads` updates that had to read a context first.",
  );

  lines.push(
    "",
    "### Commands",
    "",
    "`$RUN_DIR` is the run's temporary directory (removed afterwards); ports are free ports picked at run time.",
    "",
    "```sh",
    `# ${run.command}`,
  );
  for (const s of run.stores) {
    lines.push(`# ${s.label}`, ...s.startCommands, s.main.command);
    if (s.latency !== undefined) lines.push(s.latency.command);
  }
  lines.push("```", "");
  return lines.join("\n");
}
