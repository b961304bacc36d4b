import type { BenchResult, PhaseResult } from "./bench-result.js";
import type { LatencySummary } from "./latency-histogram.js";
import type { Progress } from "./runner.js";
import { WORKLOADS } from "./workloads.js";

const OPERATION_LABELS: Record<string, string> = {
  read: "read",
  update: "update",
  insert: "insert",
  readModifyWrite: "read-modify-write",
};

/** The human-readable report `ringkv bench` prints without --json. */
export function formatBenchReport(result: BenchResult): string {
  const s = result.settings;
  const lines = [
    `target ${result.target}: ${s.connections} connections, ${s.valueBytes}-byte values, ${s.records} records, seed ${s.seed}` +
      (s.targetRateOpsPerS === null ? "" : `, paced at ${s.targetRateOpsPerS} ops/s`),
    `operations: ${result.driver}`,
  ];
  if (result.load !== null) {
    lines.push("", `load: ${phaseLine(result.load)}`, ...phaseTable(result.load));
  }
  for (const run of result.runs) {
    // The distribution is in the description unless --distribution replaced it.
    const overridden =
      run.distribution === WORKLOADS[run.workload].distribution ? "" : `; distribution ${run.distribution}`;
    lines.push(
      "",
      `workload ${run.workload} (${run.description}${overridden}): ${phaseLine(run)}`,
      ...phaseTable(run),
    );
  }
  const stats = Object.entries(result.driverStats);
  if (stats.length > 0) lines.push("", `${result.target}: ${stats.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

function phaseLine(p: PhaseResult): string {
  const parts = [
    `${p.ops} ops in ${p.elapsedS.toFixed(1)} s`,
    `${p.throughputOpsPerS.toFixed(0)} ops/s`,
    `${p.errors} errors`,
    `client CPU ${p.clientCpuS.toFixed(1)} s`,
  ];
  if (p.aborted !== undefined) parts.push(`ABORTED: ${p.aborted}`);
  const samples = p.errorSamples.length === 0 ? "" : `\n  errors seen: ${p.errorSamples.join(" | ")}`;
  return `${parts.join(", ")}${samples}`;
}

function phaseTable(p: PhaseResult): string[] {
  const header = ["operation", "ops", "errors", "not found", "mean ms", "p50", "p95", "p99", "p99.9", "max"];
  const rows: string[][] = [header];
  const row = (label: string, ops: number, errors: number, notFound: number, l: LatencySummary): string[] => [
    label,
    String(ops),
    String(errors),
    String(notFound),
    ...[l.meanMs, l.p50Ms, l.p95Ms, l.p99Ms, l.p999Ms, l.maxMs].map((v) => v.toFixed(2)),
  ];
  for (const [operation, r] of Object.entries(p.operations)) {
    if (r === undefined) continue;
    const label = OPERATION_LABELS[operation] ?? operation;
    rows.push(row(label, r.ops, r.errors, r.notFound, r.latency));
    if (r.intendedLatency !== undefined)
      rows.push(row(`  ${label} (from planned start)`, r.ops, r.errors, r.notFound, r.intendedLatency));
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map(
    (r) =>
      `  ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")}`,
  );
}

/** One progress line (no newline), overwritten in place on a terminal. */
export function formatProgress(p: Progress): string {
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? p.ops / seconds : 0;
  return `${p.phase}: ${seconds.toFixed(0)} s, ${p.ops} ops, ${rate.toFixed(0)} ops/s, ${p.errors} errors`;
}
