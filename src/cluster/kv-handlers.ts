import type { Coordinator } from "../coordinator/coordinator.js";
import type { HintStore } from "../coordinator/hint-store.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import { encodeStoredObject } from "../core/stored-object.js";
import { type HandlerEntry, handler, peerMessages } from "../protocol/index.js";

/**
 * How this node answers other nodes about keys it holds: reads, replicated writes, hints, and
 * writes forwarded for it to coordinate. Every message was checked against its schema first.
 */
export function kvHandlers(
  replica: LocalReplica,
  hints: HintStore,
  coordinator: Coordinator,
): HandlerEntry[] {
  return [
    handler(peerMessages.kvRead, (r) => {
      const object =
        r.hintFor === undefined
          ? replica.read(r.partition, r.key)
          : hints.read(r.hintFor, r.partition, r.key);
      return { object: object === undefined ? null : encodeStoredObject(object) };
    }),
    handler(peerMessages.kvReplicate, async (r) => {
      await replica.merge(r.partition, r.key, r.object);
      return {};
    }),
    handler(peerMessages.kvHint, async (r) => {
      await hints.add(r.target, r.partition, r.key, r.object);
      return {};
    }),
    handler(peerMessages.kvPut, async (r) => {
      const partition = coordinator.partitionOf(r.key);
      const sibling = {
        value: r.value,
        contentType: r.contentType,
        deleted: r.deleted,
        writtenAtMs: r.writtenAtMs,
      };
      const object = await coordinator.coordinatePut(partition, r.key, sibling, r.context, {
        r: 1,
        pr: 0,
        w: r.w,
        pw: r.pw,
        timeoutMs: r.timeoutMs,
      });
      return { object: encodeStoredObject(object) };
    }),
  ];
}
