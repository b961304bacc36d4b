import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isValidPartitionCount } from "../core/partition.js";
import { DEMO_STEPS, DemoCluster, type DemoContext, Narrator } from "../demo/index.js";
import { ConfigError } from "../errors.js";
import type { CommandSpec, ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

export const demoSpec = {
  name: "demo",
  summary:
    "Start a throwaway 5-node cluster and walk through replication, a join, a crash, recovery, siblings and a leave, checking each step.",
  usage: "ringkv demo [--keep] [--verbose] [--wait-timeout-ms 30000] [--partitions 64]",
  positionals: [0, 0],
  flags: [
    {
      name: "keep",
      type: "boolean",
      description: "leave the cluster running after the last step, until Ctrl-C",
    },
    { name: "verbose", type: "boolean", description: "also print every node's log lines (stderr)" },
    {
      name: "wait-timeout-ms",
      type: "integer",
      default: "30000",
      description: "longest wait for any one thing: a node starting, a failure noticed, a hand-over",
    },
    {
      name: "partitions",
      type: "integer",
      default: "64",
      description: "partitions Q of the demo cluster, a power of two in 8..1024",
    },
  ],
} as const satisfies CommandSpec;

const NODES = 5;
const N = 3;
const R = 2;
const W = 2;
/** A node gets this long to shut down cleanly before it is killed. */
const STOP_GRACE_MS = 10_000;
/** Log lines of each node printed when a step fails. */
const FAILURE_LOG_LINES = 15;

/**
 * `ringkv demo`: its own cluster of `ringkv start` processes, the seed reports' demo scenarios
 * narrated step by step, and an exit code that says whether every check passed (0) or not (1).
 * Whatever happens (a failed step, an error, Ctrl-C), every process it started is stopped by PID
 * and its temporary directory removed before it returns.
 */
export async function runDemo(flags: ParsedFlags<typeof demoSpec>, out: Output): Promise<number> {
  const waitMs = flags.get("wait-timeout-ms");
  if (waitMs < 1000 || waitMs > 600_000)
    throw new ConfigError(`--wait-timeout-ms must be in 1000..600000, got ${waitMs}`);
  const partitions = flags.get("partitions");
  if (!isValidPartitionCount(partitions) || partitions < 8 || partitions > 1024)
    throw new ConfigError(`--partitions must be a power of two in 8..1024, got ${partitions}`);
  const verbose = flags.get("verbose");
  const root = mkdtempSync(join(tmpdir(), "ringkv-demo-"));
  const say = new Narrator(out, DEMO_STEPS.length);
  const cluster = new DemoCluster({
    root,
    n: N,
    partitions,
    startTimeoutMs: waitMs,
    onStarted: (id, pid, http) => say.say(`  started ${id} (pid ${pid})  http://${http}`),
    onLogLine: (id, line) => {
      if (verbose) out.stderr(`[${id}] ${line}\n`);
    },
  });
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> => {
    cleaned ??= (async () => {
      await cluster.stopAll(STOP_GRACE_MS);
      rmSync(root, { recursive: true, force: true });
      const pids = cluster.pids();
      out.stdout(
        `\nstopped every node the demo started (pids ${pids.join(", ") || "none"}); removed ${root}\n`,
      );
    })();
    return cleaned;
  };
  let signalled: NodeJS.Signals | undefined;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const interrupted = new Promise<void>((resolve) => {
    onSignal = (signal) => {
      if (signalled !== undefined) return;
      signalled = signal;
      say.mute();
      out.stderr(`\nringkv demo: ${signal}: stopping the demo's nodes...\n`);
      cleanup().then(() => resolve());
    };
  });
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let keptRunning = false;
  let walkPassed = false;
  const flow = async (): Promise<number> => {
    const ok = await walkThrough(
      { cluster, say, n: N, r: R, w: W, partitions, waitMs, written: new Map() },
      out,
    );
    walkPassed = ok;
    if (!flags.get("keep") || signalled !== undefined) return ok ? 0 : 1;
    keptRunning = true;
    say.say("\nThe cluster keeps running (--keep):");
    for (const node of cluster.running()) say.say(`  ${node.id}  http://${node.http}`);
    say.say("Ctrl-C stops it.");
    await interrupted;
    return ok ? 0 : 1;
  };
  try {
    const code = await Promise.race([flow(), interrupted.then(() => undefined)]);
    // Ctrl-C during the walk-through ends it (the usual 128 + signal number); with --keep, after
    // the walk-through, it is the expected way to stop and the demo's own result stands.
    if (keptRunning) return walkPassed ? 0 : 1;
    if (code === undefined || signalled !== undefined) return signalled === "SIGTERM" ? 143 : 130;
    return code;
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function walkThrough(ctx: DemoContext, out: Output): Promise<boolean> {
  const { say, cluster } = ctx;
  say.say("ringkv demo: a guided tour of a Dynamo-style key-value store, on a real cluster.\n");
  say.say(
    [
      `This starts ${NODES} ringkv nodes as separate processes on this machine (127.0.0.1, free ports, a`,
      `temporary data directory), then walks through ${DEMO_STEPS.length} steps. Each step says what is about to`,
      "happen, shows what the cluster did, and checks it: ✓ as expected, ✗ not. Every process is stopped",
      "and the directory removed at the end (Ctrl-C cleans up too).",
      "",
      `Settings: every key is stored on N=${ctx.n} nodes, a write needs W=${ctx.w} of them, a read R=${ctx.r}; the`,
      `key space is cut into ${ctx.partitions} partitions spread over the nodes.`,
      "",
      `Starting ${NODES} nodes: n1 forms the cluster, the others join it through n1.`,
    ].join("\n"),
  );
  try {
    await cluster.add("n1", []);
    const seeds = [cluster.node("n1").listen];
    const others = Array.from({ length: NODES - 1 }, (_, i) => `n${i + 2}`);
    await Promise.all(others.map((id) => cluster.add(id, seeds)));
    const version = await cluster.waitConverged(ctx.waitMs);
    if (version === undefined)
      throw new ConfigError(`the ${NODES} nodes did not all become active within ${ctx.waitMs} ms`);
    say.say(
      `  all ${NODES} nodes are active, see each other through gossip, and agree on the ring (version ${version}):\n` +
        "  each partition has an owner, and a key's home replicas are its partition's owner and the next\n" +
        "  distinct nodes clockwise around the ring.",
    );
  } catch (error) {
    say.say(`✗ could not start the cluster: ${message(error)}`);
    printLogTails(cluster, out);
    say.summary();
    return false;
  }
  for (const [index, step] of DEMO_STEPS.entries()) {
    try {
      await step.run(ctx);
    } catch (error) {
      if (!say.inStep) say.beginStep(index + 1, step.title, []);
      say.check(false, "", `unexpected error: ${message(error)}`);
    }
    const outcome = say.endStep();
    // Later steps build on this one's cluster; after a failure their results would mislead.
    if (outcome !== undefined && !outcome.passed) {
      printLogTails(cluster, out);
      break;
    }
  }
  return say.summary();
}

function printLogTails(cluster: DemoCluster, out: Output): void {
  for (const id of cluster.loggedIds()) {
    const lines = cluster.logTail(id, FAILURE_LOG_LINES);
    if (lines.length === 0) continue;
    out.stderr(`--- last ${lines.length} log lines of ${id} ---\n${lines.join("\n")}\n`);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
