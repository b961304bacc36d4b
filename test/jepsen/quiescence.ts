import { pollUntil } from "../../src/clock/poll.js";
import { getJson, type TestCluster } from "../support/cluster.js";

interface ReplicasBody {
  replicas: { id: string; values?: string[]; context?: string | null; error?: string }[];
  fallbacks: { id: string; hintFor?: string }[];
}

export interface ReplicaAgreement {
  /** Every home replica answered and holds the same context and values; no hint is left on a fallback. */
  identical: boolean;
  /** What differed the last time it was checked, for the report. */
  problem: string;
}

/** Compares what a key's home replicas hold, as one node's /debug/replicas shows it. */
export async function replicaAgreement(url: string, key: string): Promise<ReplicaAgreement> {
  const body = await getJson<ReplicasBody>(`${url}/debug/replicas/${encodeURIComponent(key)}`);
  const unreachable = body.replicas.filter((r) => r.error !== undefined).map((r) => r.id);
  if (unreachable.length > 0) return { identical: false, problem: `unreachable: ${unreachable.join(",")}` };
  if (body.fallbacks.length > 0) {
    return {
      identical: false,
      problem: `hints left on ${body.fallbacks.map((f) => `${f.id} for ${f.hintFor ?? "?"}`).join(", ")}`,
    };
  }
  const shapes = new Set(
    body.replicas.map((r) =>
      JSON.stringify({ context: r.context ?? null, values: [...(r.values ?? [])].sort() }),
    ),
  );
  if (shapes.size > 1) {
    const summary = body.replicas
      .map((r) => `${r.id}: ${r.values?.length ?? 0} values, context ${(r.context ?? "-").slice(0, 16)}`)
      .join("; ");
    return { identical: false, problem: `replicas differ (${summary})` };
  }
  return { identical: true, problem: "" };
}

/**
 * Waits until the cluster is healthy and every key's home replicas hold the same thing with no
 * hint left anywhere (hinted handoff delivered, anti-entropy converged), checked twice in a row
 * from different nodes. Resolves with the last agreement per key, whether or not it was reached.
 */
export async function waitForQuiescence(
  cluster: TestCluster,
  keys: readonly string[],
  timeoutMs: number,
): Promise<Map<string, ReplicaAgreement>> {
  const startedMs = Date.now();
  await cluster.waitConverged(timeoutMs);
  const last = new Map<string, ReplicaAgreement>();
  let streak = 0;
  let round = 0;
  await pollUntil(
    async () => {
      const observer = cluster.nodes[round % cluster.nodes.length];
      round += 1;
      if (observer === undefined) return last;
      let all = true;
      for (const key of keys) {
        const agreement = await replicaAgreement(observer.url, key).catch(
          (error: unknown): ReplicaAgreement => ({ identical: false, problem: String(error) }),
        );
        last.set(key, agreement);
        all &&= agreement.identical;
      }
      streak = all ? streak + 1 : 0;
      return streak >= 2 ? last : undefined;
    },
    { timeoutMs: Math.max(0, timeoutMs - (Date.now() - startedMs)), intervalMs: 500 },
  );
  return last;
}
