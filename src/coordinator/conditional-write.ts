import type { VersionVector } from "../core/causality/index.js";
import type { Sibling, StoredObject } from "../core/stored-object.js";
import { checkCondition, type WriteCondition } from "../core/write-condition.js";
import { ConditionFailedError } from "../errors.js";
import type { Coordinator } from "./coordinator.js";
import type { RequestOptions } from "./request-options.js";

/** What a conditional write needs of the coordinator: a quorum read, then a write or a delete. */
export type ConditionalTarget = Pick<Coordinator, "get" | "put" | "delete">;

/**
 * Reads the key at the request's r (a QuorumError, so a 503, when fewer answer), checks the
 * condition, and writes `sibling` with the context that read found. The read and the write each
 * get the request's timeout, as a context-less delete's read and write do: a read that finds
 * nothing waits for every replica (or the timeout), and a write left with the remainder of that
 * wait would fail after its check had passed.
 */
export async function putIf(
  coordinator: ConditionalTarget,
  key: Uint8Array,
  sibling: Sibling,
  condition: WriteCondition,
  options: RequestOptions,
  nowMs: () => number,
): Promise<StoredObject> {
  const context = await passedContext(coordinator, key, condition, options, nowMs);
  return coordinator.put(key, sibling, context, options);
}

/** As putIf, for a delete: the tombstone supersedes exactly the context the check found. */
export async function deleteIf(
  coordinator: ConditionalTarget,
  key: Uint8Array,
  condition: WriteCondition,
  options: RequestOptions,
  nowMs: () => number,
): Promise<StoredObject | undefined> {
  const context = await passedContext(coordinator, key, condition, options, nowMs);
  return coordinator.delete(key, context, options);
}

async function passedContext(
  coordinator: ConditionalTarget,
  key: Uint8Array,
  condition: WriteCondition,
  options: RequestOptions,
  nowMs: () => number,
): Promise<VersionVector> {
  const current = await coordinator.get(key, options);
  const verdict = checkCondition(condition, current, nowMs());
  if (!verdict.proceed) throw new ConditionFailedError(verdict.reason);
  return verdict.context;
}
