import { type HandlerEntry, handler, peerMessages } from "../protocol/index.js";
import type { StorageEngine } from "../storage/index.js";
import { listLocalKeys } from "./local-keys.js";

/** How this node answers kv_list: the keys it holds, straight from storage (no repair, no hints). */
export function listHandlers(storage: StorageEngine, clock: { nowMs(): number }): HandlerEntry[] {
  return [
    handler(peerMessages.kvList, (r) => {
      const batch = listLocalKeys(
        storage,
        {
          partitions: r.partitions,
          range: { start: r.start, end: r.end ?? undefined },
          after: r.after ?? undefined,
          limit: r.limit,
        },
        clock.nowMs(),
      );
      return { keys: batch.keys.map((k) => [k.key, k.live] as [Uint8Array, boolean]), more: batch.more };
    }),
  ];
}
