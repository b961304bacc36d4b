import { compareBytes } from "../storage/index.js";
import type { ListBatch, ListBatchRequest } from "./interface.js";

/**
 * What is wrong with a node's answer, or undefined: keys must ascend strictly, come after the
 * cursor, lie in the range and in the partitions asked for, and be no more than asked. The merge
 * relies on all of it, so an answer that breaks it (a bug, a node of another version) fails the
 * page instead of giving a wrong one.
 */
export function batchProblem(
  request: ListBatchRequest,
  batch: ListBatch,
  partitionOf: (key: Uint8Array) => number,
): string | undefined {
  if (batch.keys.length > request.limit) return `${batch.keys.length} keys for a limit of ${request.limit}`;
  const asked = new Set(request.partitions);
  let previous = request.after;
  for (const [i, { key }] of batch.keys.entries()) {
    if (previous !== undefined && compareBytes(key, previous) <= 0)
      return `keys[${i}] is not after the one before`;
    if (compareBytes(key, request.range.start) < 0) return `keys[${i}] is before the range`;
    if (request.range.end !== undefined && compareBytes(key, request.range.end) >= 0)
      return `keys[${i}] is past the range`;
    if (!asked.has(partitionOf(key))) return `keys[${i}] is of a partition not asked for`;
    previous = key;
  }
  return undefined;
}
