import { decodeContext, type VersionVector } from "../../src/core/causality/index.js";
import type { StoredObject } from "../../src/core/stored-object.js";
import type { History, Op } from "./history.js";
import { liveValues, text } from "./workload.js";

/**
 * Checks a run's client history against the cluster's converged state. `finals` holds, for
 * every key, the history every home replica agrees on (undefined: no replica holds the key).
 * Returns one line per violation.
 *
 * - No phantom: every value a read returned, and every value in the final state, was written by
 *   a put that was not refused, invoked before the read completed.
 * - No lost write: every acknowledged put's value is in the final state, unless a write or delete
 *   that may have been applied (acknowledged or unknown) carried the context of a read that
 *   returned that value, or a delete without context (which deletes what its own read finds)
 *   may have read it.
 * - No resurrection: no version (dot) that the context of an acknowledged write or delete
 *   covered is in the final state. An acknowledged write is durable on W replicas and merging
 *   never brings back a dot a history has superseded, so such a version can only come back
 *   through a bug (a reused dot, a lost write on disk, a tombstone reaped too early...).
 */
export function checkHistory(
  history: History,
  finals: ReadonlyMap<string, StoredObject | undefined>,
): string[] {
  const violations: string[] = [];
  const writes = new Map<string, Op>();
  for (const op of history.ops) if (op.kind === "put" && op.value !== undefined) writes.set(op.value, op);

  const checkValue = (value: string, readAtMs: number, where: string): void => {
    const write = writes.get(value);
    if (write === undefined) violations.push(`${where} holds ${value}, which no client wrote`);
    else if (write.outcome === "fail")
      violations.push(
        `${where} holds ${value}, written by op#${write.id} which was refused (${write.error})`,
      );
    else if (write.invokeMs > readAtMs)
      violations.push(`${where} holds ${value}, written by op#${write.id} only later (t=${write.invokeMs})`);
  };

  for (const op of history.ops) {
    if (op.kind !== "get" || op.outcome !== "ok") continue;
    for (const value of op.values ?? [])
      checkValue(value, op.completeMs ?? 0, `read op#${op.id} of ${op.key}`);
  }
  for (const [key, object] of finals) {
    for (const value of liveValues(object))
      checkValue(value, Number.POSITIVE_INFINITY, `the final state of ${key}`);
  }

  for (const op of history.ops) {
    if (op.kind !== "put" || op.outcome !== "ok" || op.value === undefined) continue;
    const final = liveValues(finals.get(op.key));
    if (final.includes(op.value)) continue;
    const by = supersededBy(history, op);
    if (by === undefined) {
      violations.push(
        `lost write: op#${op.id} put ${op.key}=${op.value} was acknowledged (t=${op.completeMs}) but is not in the final state [${final.join(",")}] and no write that may have been applied superseded it`,
      );
    }
  }

  for (const op of history.ops) {
    if ((op.kind !== "put" && op.kind !== "delete") || op.outcome !== "ok" || op.contextFrom === null)
      continue;
    const read = history.byId(op.contextFrom);
    if (read.context === undefined) continue;
    const context = decodeContext(read.context, { encodedLengthMax: 8192, actorsMax: 256 });
    const object = finals.get(op.key);
    if (object === undefined) continue;
    for (const { actor, counter, value, deleted } of dots(object)) {
      if (counter <= covered(context, actor)) {
        violations.push(
          `resurrection: ${op.key} holds ${deleted ? "a tombstone" : value} (dot ${actor}:${counter}) although op#${op.id} (${op.kind}, acknowledged t=${op.completeMs}) carried the context of read op#${read.id} covering ${actor}:${covered(context, actor)}`,
        );
      }
    }
  }
  return violations;
}

/** A write or delete that may have superseded `put`'s value, if any. */
function supersededBy(history: History, put: Op): Op | undefined {
  for (const op of history.ops) {
    if (op.key !== put.key || op === put || (op.kind !== "put" && op.kind !== "delete")) continue;
    if (op.outcome === "fail") continue;
    if (op.contextFrom !== null) {
      const read = history.byId(op.contextFrom);
      if (put.value !== undefined && (read.values ?? []).includes(put.value)) return op;
    } else if (op.kind === "delete") {
      // It deletes what a quorum read finds when it runs: anything written before it finished.
      const end =
        op.outcome === "ok" ? (op.completeMs ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
      if (put.invokeMs < end) return op;
    }
  }
  return undefined;
}

interface Dot {
  actor: string;
  counter: number;
  value: string;
  deleted: boolean;
}

/** Every version an object holds, with its dot: values[i] of an entry is dot (actor, counter - i). */
function dots(object: StoredObject): Dot[] {
  const out: Dot[] = [];
  for (const entry of object.entries) {
    entry.values.forEach((sibling, i) => {
      out.push({
        actor: entry.actor,
        counter: entry.counter - i,
        value: text(sibling.value),
        deleted: sibling.deleted,
      });
    });
  }
  return out;
}

function covered(context: VersionVector, actor: string): number {
  for (const [a, counter] of context) if (a === actor) return counter;
  return 0;
}

/**
 * A listing of the converged cluster against its state: each key with a live value listed once,
 * in byte order; no key without one listed. One line per violation.
 */
export function listingProblems(
  listed: readonly string[],
  finals: ReadonlyMap<string, StoredObject | undefined>,
): string[] {
  const problems: string[] = [];
  const live = new Set([...finals].filter(([, o]) => liveValues(o).length > 0).map(([k]) => k));
  const seen = new Set<string>();
  listed.forEach((key, i) => {
    if (seen.has(key)) problems.push(`listing: ${key} listed twice`);
    seen.add(key);
    const before = listed[i - 1];
    if (before !== undefined && Buffer.compare(Buffer.from(before), Buffer.from(key)) >= 0)
      problems.push(`listing: ${key} listed after ${before}`);
    if (!live.has(key)) problems.push(`listing: ${key} is listed but holds no live value`);
  });
  for (const key of live)
    if (!seen.has(key)) problems.push(`listing: ${key} holds a live value but is not listed`);
  return problems;
}
