import { parseArgs } from "node:util";
import { defaultGossipOptions, type GossipScaleResult, runGossipScale } from "./gossip-scale.js";

const USAGE = `usage: npm run sim:gossip -- [--nodes 100,1000] [--seed N] [--loss 0.05] [--steady-ms MS] [--loss-ms MS]

Runs only membership at scale: one real Gossiper (with its failure detector) per node over the
in-memory network, on virtual time, with the default gossip options. Reports how fast a join and
a death reach every node, false suspicions under message loss, and gossip bytes per node.`;

function number(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0)
    throw new Error(`${name} must be a non-negative number, got ${value}`);
  return parsed;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function row(r: GossipScaleResult): string {
  return [
    r.nodes,
    `${r.join.medianMs} / ${r.join.maxMs} ms (${r.join.rounds} rounds)${r.join.missing > 0 ? `, ${r.join.missing} never` : ""}`,
    `${r.death.medianMs} / ${r.death.maxMs} ms${r.death.missing > 0 ? `, ${r.death.missing} never` : ""}`,
    `${r.loss.falseSuspects} / ${r.loss.falseDowns} of ${r.loss.pairs} pairs`,
    `${kb(r.bytesPerNodePerSecond.sent)}/s`,
    kb(r.messageBytesMax),
    `${(r.realMs / 1000).toFixed(0)} s`,
  ].join(" | ");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: "string", default: "100" },
      seed: { type: "string" },
      loss: { type: "string" },
      "steady-ms": { type: "string" },
      "loss-ms": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const sizes = values.nodes.split(",").map((n) => number(n, "--nodes", 100));
  const results: GossipScaleResult[] = [];
  for (const nodes of sizes) {
    const result = await runGossipScale({
      nodes,
      seed: number(values.seed, "--seed", 1),
      lossRate: number(values.loss, "--loss", 0.05),
      steadyMs: number(values["steady-ms"], "--steady-ms", 5000),
      lossMs: number(values["loss-ms"], "--loss-ms", 20_000),
      gossip: defaultGossipOptions,
      progress: (line) => process.stderr.write(`[${nodes} nodes] ${line}\n`),
    });
    results.push(result);
    process.stderr.write(`${JSON.stringify(result)}\n`);
  }
  const g = defaultGossipOptions;
  process.stdout.write(
    `gossip every ${g.intervalMs} ms to ${g.fanout} peers; suspect after ${g.failureDetector.suspectAfterMs} ms, down after ${g.failureDetector.downAfterMs} ms of silence\n\n`,
  );
  process.stdout.write(
    "| nodes | join known everywhere (median / last) | crash down everywhere (median / last) | false suspect / down at loss | bytes sent per node | largest message | real time |\n",
  );
  process.stdout.write("|---|---|---|---|---|---|---|\n");
  for (const r of results) process.stdout.write(`| ${row(r)} |\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n${USAGE}\n`,
  );
  process.exitCode = 2;
});
