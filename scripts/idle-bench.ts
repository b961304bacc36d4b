import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ProcessGroup } from "./bench-compare/process-group.js";
import { httpJson, waitUntil } from "./bench-compare/wait-until.js";
import { cpuPercent } from "./repair-bench/cpu.js";
import { LocalCluster } from "./repair-bench/local-cluster.js";

const USAGE = `usage: node dist/scripts/idle-bench.js [--nodes K] [--seconds S] [--settle-seconds T] [-- extra ringkv start flags]

Starts K real \`ringkv start\` processes on 127.0.0.1 (free ports, temp data dirs, one cluster),
waits until every node sees all K active and up, lets the ring settle T more seconds (default 10),
then samples each process's CPU (utime + stime from /proc/PID/stat) over S idle seconds
(default 30) and prints per-node % of one core (mean, max, each) as JSON. Every process it
started is stopped by PID, on success, on error, on Ctrl-C and on SIGTERM.`;

interface MembersBody {
  members: { id: string; state: string; status: string }[];
}

const BIN = fileURLToPath(new URL("../../bin/ringkv.js", import.meta.url));
const NODES_MAX = 100;
const SECONDS_MAX = 3600;

function positiveInt(name: string, text: string, max: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new Error(`--${name} must be an integer from 1 to ${max}`);
  return value;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      nodes: { type: "string", default: "3" },
      seconds: { type: "string", default: "30" },
      "settle-seconds": { type: "string", default: "10" },
      help: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const nodes = positiveInt("nodes", values.nodes, NODES_MAX);
  const seconds = positiveInt("seconds", values.seconds, SECONDS_MAX);
  const settleSeconds = Number(values["settle-seconds"]);
  if (!Number.isSafeInteger(settleSeconds) || settleSeconds < 0 || settleSeconds > SECONDS_MAX)
    throw new Error(`--settle-seconds must be an integer from 0 to ${SECONDS_MAX}`);

  const group = new ProcessGroup();
  const root = mkdtempSync(join(tmpdir(), "ringkv-idle-"));
  // Ctrl-C (or a SIGTERM from a timeout) must not leave K node processes behind: stop them by PID, then exit.
  const onSignal = () => {
    void group.stopAll(2000).finally(() => {
      rmSync(root, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const cluster = new LocalCluster(group, root, BIN, positionals);
    const startedMs = performance.now();
    // Each node's ports are taken just before it starts: taken all up front (as start(K) does),
    // a port may meanwhile become the ephemeral port of a connection between earlier nodes
    // (EADDRINUSE at 40 nodes).
    await cluster.start(1);
    for (let i = 2; i <= nodes; i++) await cluster.add(`n${i}`);
    await waitUntil(
      `the ${nodes}-node cluster to converge`,
      async () => {
        for (const node of cluster.nodes) {
          const { members } = await httpJson<MembersBody>(`${cluster.url(node.id)}/cluster/members`);
          if (members.length !== nodes || !members.every((m) => m.state === "active" && m.status === "up"))
            return false;
        }
        return true;
      },
      cluster.running(),
      300_000,
    );
    const convergedSeconds = (performance.now() - startedMs) / 1000;
    await new Promise((resolve) => setTimeout(resolve, settleSeconds * 1000));
    const loadBefore = loadavg()[0] as number;
    const cpu = await cpuPercent(
      cluster.nodes.map((n) => cluster.pid(n.id)),
      seconds,
    );
    const mean = cpu.reduce((a, b) => a + b, 0) / cpu.length;
    const max = Math.max(...cpu);
    const report = {
      nodes,
      seconds,
      settleSeconds,
      convergedSeconds: Number(convergedSeconds.toFixed(1)),
      extraFlags: positionals,
      cpuPercentOfCoreMean: Number(mean.toFixed(3)),
      cpuPercentOfCoreMax: Number(max.toFixed(3)),
      cpuPercentOfCoreTotal: Number((mean * cpu.length).toFixed(2)),
      cpuPercentOfCorePerNode: cpu.map((c) => Number(c.toFixed(3))),
      loadAverage1mBefore: Number(loadBefore.toFixed(2)),
      loadAverage1mAfter: Number((loadavg()[0] as number).toFixed(2)),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await group.stopAll(5000);
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
