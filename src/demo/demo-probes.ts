import type { DebugReplicasInfo, ReplicaDebugInfo } from "../api/interface.js";
import type { GetResult } from "../client/http-client.js";
import { pollUntil } from "../clock/poll.js";
import type { DemoContext } from "./demo-step.js";

/**
 * What the demo's steps ask the cluster (where a key's copies are, what a read through a node
 * returns) and how they show the answers in the narration.
 */

const b64 = (text: string): string => Buffer.from(text).toString("base64");
export const quote = (text: string): string => `"${text}"`;

export function holds(replica: ReplicaDebugInfo, value: string): boolean {
  return replica.values?.length === 1 && replica.values[0] === b64(value);
}

export function shown(replica: ReplicaDebugInfo): string {
  if (replica.error !== undefined) return `${replica.id}: ${replica.error}`;
  const values = (replica.values ?? []).map((v) => quote(Buffer.from(v, "base64").toString()));
  return `${replica.id}: ${values.length === 0 ? "nothing" : values.join(" + ")}`;
}

export async function replicasOf(ctx: DemoContext, via: string, key: string): Promise<DebugReplicasInfo> {
  return ctx.cluster.client(via).getJson<DebugReplicasInfo>(`/debug/replicas/${encodeURIComponent(key)}`);
}

/** Polls /debug/replicas until `ok` holds; resolves with the last answer either way. */
export async function replicasWhen(
  ctx: DemoContext,
  via: string,
  key: string,
  ok: (info: DebugReplicasInfo) => boolean,
): Promise<{ info: DebugReplicasInfo; ok: boolean }> {
  const done = await pollUntil(
    async () => {
      const info = await replicasOf(ctx, via, key);
      return ok(info) ? info : undefined;
    },
    { timeoutMs: ctx.waitMs },
  );
  return done === undefined ? { info: await replicasOf(ctx, via, key), ok: false } : { info: done, ok: true };
}

export function describeRead(result: GetResult): string {
  if (result.status === 200) return quote(Buffer.from(result.value).toString());
  if (result.status === 404) return "not found (404)";
  return `${result.siblings.length} siblings (300)`;
}

export async function readThrough(ctx: DemoContext, via: string, key: string): Promise<string> {
  try {
    return describeRead(await ctx.cluster.client(via).get(key));
  } catch (error) {
    return `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** A key whose home replicas satisfy `wanted`, from a short list of readable names. */
export async function findKey(
  ctx: DemoContext,
  prefix: string,
  wanted: (home: string[]) => boolean,
): Promise<{ key: string; home: string[] } | undefined> {
  for (let i = 1; i <= 200; i++) {
    const key = `${prefix}-${i}`;
    const home = (await replicasOf(ctx, "n1", key)).replicas.map((r) => r.id);
    if (wanted(home)) return { key, home };
  }
  return undefined;
}
