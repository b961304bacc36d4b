import { partitionOf } from "../../src/core/partition.js";
import { decodeStoredObject, type StoredObject } from "../../src/core/stored-object.js";
import { objectKey } from "../../src/storage/object-key.js";
import type { SimNode } from "./sim-node.js";
import { bytes, text } from "./workload.js";

/**
 * What every node holds of one key, in its objects store and as hints, as one line: for
 * debugging a failed seed (`--watch-key`), printed whenever it changes.
 */
export function describeKey(
  nodes: readonly SimNode[],
  key: string,
  partitions: number,
  storedKey: (label: string) => Uint8Array = bytes,
): string {
  const userKey = storedKey(key);
  const partition = partitionOf(userKey, partitions);
  const parts: string[] = [];
  for (const node of nodes) {
    if (node.isGone) continue;
    const storage = node.storage;
    const stored = storage.get("objects", objectKey(partition, userKey));
    const held: string[] = [];
    if (stored !== undefined) held.push(describeObject(decodeStoredObject(stored)));
    for (const [k, v] of storage.scan("hints")) {
      const length = k[0] ?? 0;
      const target = Buffer.from(k.subarray(1, 1 + length)).toString("utf8");
      const rest = k.subarray(1 + length + 4);
      if (Buffer.from(rest).equals(Buffer.from(userKey)))
        held.push(`hint(${target})${describeObject(decodeStoredObject(v))}`);
    }
    if (held.length > 0)
      parts.push(`${node.id}${node.state === "running" ? "" : `(${node.state})`}=${held.join("+")}`);
  }
  return `${key}: ${parts.join(" ")}`;
}

/** An object as `{actor:counter[values]...}`, tombstones as `-`. */
export function describeObject(object: StoredObject): string {
  return `{${object.entries
    .map(
      (e) =>
        `${e.actor.split("@")[0]}:${e.counter}[${e.values.map((s) => (s.deleted ? "-" : text(s.value))).join(",")}]`,
    )
    .join(" ")}}`;
}
