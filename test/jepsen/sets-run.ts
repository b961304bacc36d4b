import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConflictMode } from "../../src/core/conflict-mode.js";
import { SeededRandom } from "../../src/random/seeded-random.js";
import { TestCluster } from "../support/cluster.js";
import { checkSets, type SetCheck } from "./checker.js";
import { History } from "./history.js";
import { defaultNemesisOptions, Nemesis, type NemesisEvent, type NemesisOptions } from "./nemesis.js";
import { waitForQuiescence } from "./quiescence.js";
import { defaultSetClientOptions, SetClient } from "./set-client.js";

export interface SetsRunOptions {
  mode: ConflictMode;
  /** How long clients add elements while the nemesis injects faults. */
  durationMs: number;
  nodes: number;
  clients: number;
  keys: number;
  /** Pause between one client's adds, a random time in 0..max (keeps 2 cores from saturating). */
  clientPauseMsMax: number;
  seed: number;
  nemesis: NemesisOptions;
  /** How long the healed cluster gets to deliver hints and converge before the final reads. */
  quiescenceTimeoutMs: number;
  /** Per-request quorums the clients draw from (empty: the cluster's R=2, W=2). */
  readQuorums: readonly number[];
  writeQuorums: readonly number[];
  /** Progress lines (nemesis events); silent by default. */
  log: (line: string) => void;
}

export const defaultSetsRunOptions: SetsRunOptions = {
  mode: "causal",
  durationMs: 40_000,
  nodes: 5,
  clients: 5,
  keys: 3,
  clientPauseMsMax: 20,
  seed: 1,
  nemesis: defaultNemesisOptions,
  quiescenceTimeoutMs: 90_000,
  readQuorums: [],
  writeQuorums: [],
  log: () => {},
};

export interface SetsRunResult extends SetCheck {
  mode: ConflictMode;
  seed: number;
  durationMs: number;
  /** Every key's home replicas held the same thing (and no hints were left) before the final read. */
  replicasIdentical: boolean;
  replicaProblems: string[];
  /** Every node's final read (r=N) of a key returned the same set. */
  finalReadsAgree: boolean;
  /** Siblings the final reads saw, summed over keys (a causal store may legitimately have some). */
  finalSiblings: number;
  nemesis: NemesisEvent[];
  /** Where the history and node logs were written (only when something was lost or did not converge). */
  artifacts: string | undefined;
}

/**
 * One Jepsen-style run: a fresh cluster of real processes, concurrent read-modify-write clients
 * adding distinct elements to a few sets while the nemesis kills, pauses and partitions nodes;
 * then a full heal, quiescence, final reads and the set check.
 */
export async function runSetsTest(partial: Partial<SetsRunOptions> = {}): Promise<SetsRunResult> {
  const o: SetsRunOptions = { ...defaultSetsRunOptions, ...partial };
  const cluster = new TestCluster({
    nodes: o.nodes,
    n: 3,
    r: 2,
    w: 2,
    // A small ring and a quick anti-entropy rate shorten convergence; neither changes what a
    // write's acknowledgement promises.
    partitions: 16,
    extraArgs: ["--enable-fault-injection", "--conflict-mode", o.mode, "--aae-interval-ms", "100"],
  });
  const history = new History();
  const keys = Array.from({ length: o.keys }, (_, i) => `jepsen-set-${o.seed}-${i}`);
  const random = new SeededRandom(o.seed);
  try {
    await cluster.start();
    const nemesis = new Nemesis(cluster, new SeededRandom(o.seed ^ 0x9e3779b9), o.nemesis, o.log);
    const endpoints = () => cluster.nodes.map((n) => ({ id: n.id, url: n.url }));
    const stopAtMs = Date.now() + o.durationMs;
    const clients = Array.from({ length: o.clients }, async (_, c) => {
      const clientRandom = new SeededRandom(o.seed * 1000 + c + 1);
      const client = new SetClient(endpoints, history, clientRandom, {
        ...defaultSetClientOptions,
        readQuorums: o.readQuorums,
        writeQuorums: o.writeQuorums,
      });
      while (Date.now() < stopAtMs) {
        await client.add(keys[clientRandom.uint32() % keys.length] as string);
        await new Promise((resolve) => setTimeout(resolve, clientRandom.uint32() % (o.clientPauseMsMax + 1)));
      }
    });
    let nemesisError: unknown;
    const nemesisDone = nemesis.run().catch((error: unknown) => {
      nemesisError = error;
    });
    const stopNemesis = setTimeout(() => nemesis.stop(), o.durationMs);
    await Promise.all(clients);
    clearTimeout(stopNemesis);
    nemesis.stop();
    await nemesisDone;
    // A fault the harness could not inject or heal makes the run meaningless, not a pass.
    if (nemesisError !== undefined) throw nemesisError;
    await nemesis.healAll();

    const agreement = await waitForQuiescence(cluster, keys, o.quiescenceTimeoutMs);
    const replicaProblems = [...agreement]
      .filter(([, a]) => !a.identical)
      .map(([key, a]) => `${key}: ${a.problem}`);
    const finalSets = new Map<string, Set<number>>();
    let finalReadsAgree = true;
    let finalSiblings = 0;
    const reader = new SetClient(endpoints, history, random, {
      ...defaultSetClientOptions,
      abortAfterMs: 10_000,
    });
    for (const key of keys) {
      const seen = new Set<string>();
      for (const node of cluster.nodes) {
        const read = await reader.read({ id: node.id, url: node.url }, key, "&r=3");
        const elements = new Set(read.elements);
        if (!finalSets.has(key)) {
          finalSets.set(key, elements);
          finalSiblings += Math.max(0, read.versions - 1);
        }
        seen.add([...elements].sort((a, b) => a - b).join(","));
      }
      if (seen.size > 1) finalReadsAgree = false;
    }
    const check = checkSets(history.records, finalSets);
    const result: SetsRunResult = {
      ...check,
      mode: o.mode,
      seed: o.seed,
      durationMs: o.durationMs,
      replicasIdentical: replicaProblems.length === 0,
      replicaProblems,
      finalReadsAgree,
      finalSiblings,
      nemesis: nemesis.events,
      artifacts: undefined,
    };
    const suspicious =
      (o.mode === "causal" && check.lost > 0) ||
      check.phantom > 0 ||
      !result.replicasIdentical ||
      !finalReadsAgree;
    if (suspicious) result.artifacts = saveArtifacts(cluster, history, finalSets, result);
    return result;
  } finally {
    await cluster.destroy();
  }
}

/** Writes the history, the final sets, the result and every node's log for a run worth a look. */
function saveArtifacts(
  cluster: TestCluster,
  history: History,
  finalSets: ReadonlyMap<string, ReadonlySet<number>>,
  result: SetsRunResult,
): string {
  const dir = join(tmpdir(), `ringkv-jepsen-${result.mode}-seed-${result.seed}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "history.json"), JSON.stringify(history.records, null, 1));
  writeFileSync(
    join(dir, "final-sets.json"),
    JSON.stringify(Object.fromEntries([...finalSets].map(([k, v]) => [k, [...v]]))),
  );
  writeFileSync(join(dir, "result.json"), JSON.stringify({ ...result, artifacts: dir }, null, 1));
  for (const node of cluster.nodes) writeFileSync(join(dir, `${node.id}.log`), node.process?.logs ?? "");
  return dir;
}

/** One line per run: what the brief's summary asks for. */
export function formatRunLine(index: number, runs: number, r: SetsRunResult): string {
  const faults = new Map<string, number>();
  for (const e of r.nemesis) {
    const name = e.faults.join("+");
    faults.set(name, (faults.get(name) ?? 0) + 1);
  }
  return [
    `run ${index}/${runs}`,
    `mode=${r.mode}`,
    `seed=${r.seed}`,
    `duration=${Math.round(r.durationMs / 1000)}s`,
    `acknowledged=${r.acknowledged}`,
    `failed=${r.failed}`,
    `unknown=${r.unknown}`,
    `unacked-present=${r.unackedPresent}`,
    `lost=${r.lost}`,
    `phantom=${r.phantom}`,
    `replicas-identical=${r.replicasIdentical ? "yes" : "no"}`,
    `final-reads-agree=${r.finalReadsAgree ? "yes" : "no"}`,
    `final-siblings=${r.finalSiblings}`,
    `nemesis=${[...faults].map(([f, n]) => `${f}:${n}`).join(",") || "none"}`,
    ...(r.artifacts === undefined ? [] : [`artifacts=${r.artifacts}`]),
  ].join(" ");
}
