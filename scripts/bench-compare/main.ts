import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchRun, runBenchCommand } from "./bench-invocation.js";
import {
  COMPARE_USAGE,
  type CompareOptions,
  CompareUsageError,
  parseCompareOptions,
} from "./compare-options.js";
import {
  type CompareRun,
  renderCompareSection,
  SECTION_HEADING,
  type StoreResults,
} from "./compare-report.js";
import { startEtcdCluster } from "./etcd-cluster.js";
import { loadAverage, machineInfo } from "./machine-info.js";
import { replaceSection } from "./markdown-section.js";
import { ProcessGroup } from "./process-group.js";
import { startRedis } from "./redis-server.js";
import { startRingkvCluster } from "./ringkv-cluster.js";
import type { StoreUnderTest } from "./store-under-test.js";
import { ensureServerPackages } from "./system-packages.js";

/** The package's command next to this compiled script (dist/scripts/bench-compare/ -> bin/). */
const RINGKV_BIN = fileURLToPath(new URL("../../../bin/ringkv.js", import.meta.url));

function log(line: string): void {
  process.stderr.write(`[bench:compare] ${line}\n`);
}

/** Samples the 1-minute load average while stores are measured. */
class LoadSampler {
  private readonly samples: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  start(): void {
    this.samples.push(loadAverage());
    this.timer = setInterval(() => this.samples.push(loadAverage()), 5000);
    this.timer.unref();
  }
  stop(): { mean: number; max: number } {
    clearInterval(this.timer);
    this.samples.push(loadAverage());
    const mean = this.samples.reduce((a, b) => a + b, 0) / this.samples.length;
    return { mean: Math.round(mean * 100) / 100, max: Math.max(...this.samples) };
  }
}

interface Plan {
  kind: StoreResults["kind"];
  nodes: number | undefined;
  start(group: ProcessGroup, root: string): Promise<StoreUnderTest>;
}

function plans(o: CompareOptions): Plan[] {
  const out: Plan[] = [];
  for (const target of o.targets) {
    if (target === "ringkv") {
      for (const protocol of o.ringkvProtocols)
        for (const nodes of o.ringkvSizes)
          out.push({
            kind: "ringkv",
            nodes,
            start: (g, root) => startRingkvCluster(g, root, RINGKV_BIN, nodes, protocol),
          });
    } else if (target === "etcd") {
      out.push({ kind: "etcd", nodes: undefined, start: (g, root) => startEtcdCluster(g, root, 3) });
    } else {
      const fsync = target === "redis-always" ? "always" : "everysec";
      out.push({ kind: "redis", nodes: undefined, start: (g, root) => startRedis(g, root, fsync) });
    }
  }
  return out;
}

async function measure(
  o: CompareOptions,
  plan: Plan,
  group: ProcessGroup,
  root: string,
): Promise<StoreResults> {
  const store = await plan.start(group, root);
  log(`started ${store.label}`);
  try {
    const common = ["--value-bytes", String(o.valueBytes), "--seed", String(o.seed)];
    log(
      `${store.label}: load ${o.records} records, then workloads ${o.workloads.join(",")} for ${o.durationS} s each`,
    );
    const main = await runBenchCommand(group, RINGKV_BIN, root, store.id, [
      ...store.benchArgs,
      "--workload",
      o.workloads.join(","),
      "--records",
      String(o.records),
      "--connections",
      String(o.connections),
      "--duration-s",
      String(o.durationS),
      ...common,
    ]);
    summarize(store.label, main);
    let latency: BenchRun | undefined;
    if (o.latencyDurationS > 0 && o.connections !== 1) {
      log(`${store.label}: single-client latency, workload A for ${o.latencyDurationS} s`);
      // Its own keys, so the load does not write over the main run's records.
      latency = await runBenchCommand(group, RINGKV_BIN, root, `${store.id}-latency`, [
        ...store.benchArgs,
        "--workload",
        "a",
        "--records",
        String(o.latencyRecords),
        "--key-prefix",
        "latency",
        "--connections",
        "1",
        "--duration-s",
        String(o.latencyDurationS),
        ...common,
      ]);
      summarize(`${store.label} (1 client)`, latency);
    }
    // The temporary directory's name is random and gone after the run; name it once in the report.
    const readable = (command: string): string => command.split(root).join("$RUN_DIR");
    return {
      id: store.id,
      label: store.label,
      kind: plan.kind,
      nodes: plan.nodes,
      startCommands: store.commands.map(readable),
      main,
      latency,
    };
  } finally {
    await store.stop();
    log(`stopped ${store.label}`);
  }
}

/** Quotes an argument for a POSIX shell when it needs it. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./,:=@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

function summarize(label: string, run: BenchRun): void {
  for (const r of run.result.runs)
    log(
      `  ${label} ${r.workload.toUpperCase()}: ${Math.round(r.throughputOpsPerS)} ops/s, p99 ${r.latency.p99Ms} ms, ${r.errors} errors`,
    );
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCompareOptions(argv);
  if (parsed === "help") {
    process.stdout.write(COMPARE_USAGE);
    return 0;
  }
  const o = parsed;
  const repoDir = process.cwd();
  const out = resolve(repoDir, o.out);
  if (o.installPackages) ensureServerPackages(log);
  const machine = machineInfo(repoDir);
  const root = mkdtempSync(join(tmpdir(), "ringkv-bench-compare-"));
  const group = new ProcessGroup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping ${group.size} processes`);
    void group.stopAll(5000).finally(() => {
      rmSync(root, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const sampler = new LoadSampler();
  const before = loadAverage();
  const startedAt = new Date();
  const stores: StoreResults[] = [];
  try {
    sampler.start();
    for (const plan of plans(o)) stores.push(await measure(o, plan, group, root));
  } finally {
    await group.stopAll();
    rmSync(root, { recursive: true, force: true });
  }
  const load = sampler.stop();
  const run: CompareRun = {
    options: o,
    command: `npm run bench:compare${argv.length === 0 ? "" : ` -- ${argv.map(shellQuote).join(" ")}`}`,
    note: o.note,
    machine,
    startedAt,
    finishedAt: new Date(),
    load: { before, ...load },
    stores,
  };
  let existing = "";
  try {
    existing = readFileSync(out, "utf8");
  } catch {
    existing = "# Benchmarks\n";
  }
  writeFileSync(out, replaceSection(existing, SECTION_HEADING, renderCompareSection(run)));
  log(`wrote the "${SECTION_HEADING.slice(3)}" section of ${out}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CompareUsageError) {
      process.stderr.write(`bench:compare: ${error.message} (see --help)\n`);
      process.exit(2);
    }
    process.stderr.write(`bench:compare failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
