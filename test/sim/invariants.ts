import { decodeContext, type VersionVector } from "../../src/core/causality/index.js";
import { expiredAsTombstones } from "../../src/core/expiry.js";
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
 * - Expiry (puts with a time to live): the coordinator stamps the deadline between the put's
 *   invocation and its acknowledgement, so an acknowledged put's deadline lies in
 *   [invoke + ttl, complete + ttl]. No read invoked at or after complete + ttl returns its value
 *   (an expired value never comes back, through any path); every stored copy of it carries a
 *   deadline in that window (hints, repair and transfer kept it); and the final state is judged
 *   as a client sees it at `nowMs` (expired versions read as deleted), so an expired put is not a
 *   lost write.
 */
export function checkHistory(
  history: History,
  finals: ReadonlyMap<string, StoredObject | undefined>,
  nowMs: number,
): string[] {
  const violations: string[] = [];
  const writes = new Map<string, Op>();
  for (const op of history.ops) if (op.kind === "put" && op.value !== undefined) writes.set(op.value, op);
  const seen = new Map([...finals].map(([k, o]) => [k, clientView(o, nowMs)]));

  for (const op of history.ops) {
    if (op.kind !== "get" || op.outcome !== "ok") continue;
    for (const value of op.values ?? []) {
      const write = writes.get(value);
      const deadline = write === undefined ? undefined : latestDeadlineMs(write);
      if (deadline !== undefined && op.invokeMs >= deadline)
        violations.push(
          `expired value read: op#${op.id} (get ${op.key}, invoked t=${op.invokeMs}) returned ${value}, written by op#${write?.id} with ttl ${write?.ttlS}s and acknowledged t=${write?.completeMs}`,
        );
    }
  }
  for (const [key, object] of finals) {
    for (const { value, expiresAtMs } of dots(object)) {
      const write = writes.get(value);
      if (write?.ttlS === undefined) continue;
      const earliest = write.invokeMs + write.ttlS * 1000;
      const latest = latestDeadlineMs(write) ?? Number.POSITIVE_INFINITY;
      if (expiresAtMs === undefined || expiresAtMs < earliest || expiresAtMs > latest)
        violations.push(
          `expiry lost: ${key} holds ${value} (op#${write.id}, ttl ${write.ttlS}s) with deadline ${expiresAtMs ?? "none"}, outside [${earliest}, ${latest}]`,
        );
    }
  }

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
  for (const [key, object] of seen) {
    for (const value of liveValues(object))
      checkValue(value, Number.POSITIVE_INFINITY, `the final state of ${key}`);
  }

  for (const op of history.ops) {
    if (op.kind !== "put" || op.outcome !== "ok" || op.value === undefined) continue;
    const final = liveValues(seen.get(op.key));
    if (final.includes(op.value)) continue;
    const deadline = latestDeadlineMs(op);
    if (deadline !== undefined && deadline <= nowMs) continue;
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

/** The latest deadline an acknowledged put with a time to live can carry; undefined: none known. */
function latestDeadlineMs(put: Op): number | undefined {
  if (put.ttlS === undefined || put.outcome !== "ok" || put.completeMs === undefined) return undefined;
  return put.completeMs + put.ttlS * 1000;
}

/** The object as a client reading at `nowMs` sees it (expired versions as tombstones). */
export function clientView(object: StoredObject | undefined, nowMs: number): StoredObject | undefined {
  return object === undefined ? undefined : expiredAsTombstones(object, nowMs);
}

interface Dot {
  actor: string;
  counter: number;
  value: string;
  deleted: boolean;
  expiresAtMs: number | undefined;
}

/** Every version an object holds, with its dot: values[i] of an entry is dot (actor, counter - i). */
function dots(object: StoredObject | undefined): Dot[] {
  const out: Dot[] = [];
  if (object === undefined) return out;
  for (const entry of object.entries) {
    entry.values.forEach((sibling, i) => {
      out.push({
        actor: entry.actor,
        counter: entry.counter - i,
        value: text(sibling.value),
        deleted: sibling.deleted,
        expiresAtMs: sibling.expiresAtMs,
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
 * in byte order; no key without one (deleted, expired by `nowMs`, never written) listed. One line per violation.
 */
export function listingProblems(
  listed: readonly string[],
  finals: ReadonlyMap<string, StoredObject | undefined>,
  nowMs: number,
): string[] {
  const problems: string[] = [];
  const live = new Set(
    [...finals].filter(([, o]) => liveValues(clientView(o, nowMs)).length > 0).map(([k]) => k),
  );
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
