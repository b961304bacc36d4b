import type { Clock } from "../clock/clock.js";
import type { Gossiper } from "../cluster/gossiper.js";
import type { Coordinator } from "../coordinator/coordinator.js";
import { liveSiblings } from "../core/stored-object.js";
import type { Logger } from "../log/logger.js";
import { type MemberClient, peerMessages } from "../protocol/index.js";
import type { StorageEngine } from "../storage/index.js";
import { KeyLister, type KeyListerOptions } from "./key-lister.js";
import { listLocalKeys } from "./local-keys.js";

export interface NodeListerDeps {
  selfId: string;
  n: number;
  storage: StorageEngine;
  gossiper: Gossiper;
  coordinator: Coordinator;
  peers: MemberClient;
  clock: Clock;
  logger: Logger;
}

/** A KeyLister over this node's ring, failure detector, storage and peers. */
export function nodeLister(deps: NodeListerDeps, options: KeyListerOptions): KeyLister {
  return new KeyLister(
    {
      selfId: deps.selfId,
      ring: () => {
        const ring = deps.gossiper.current.ring;
        return ring === null ? undefined : { owners: ring.owners, n: deps.n };
      },
      isUp: (id) => deps.gossiper.status(id) === "up",
      partitionOf: (key) => deps.coordinator.partitionOf(key),
      batch: async (nodeId, request, timeoutMs) => {
        if (nodeId === deps.selfId) return listLocalKeys(deps.storage, request, deps.clock.nowMs());
        const reply = await deps.peers.request(
          nodeId,
          peerMessages.kvList,
          {
            partitions: request.partitions,
            start: request.range.start,
            end: request.range.end ?? null,
            after: request.after ?? null,
            limit: request.limit,
          },
          { timeoutMs },
        );
        return { keys: reply.keys.map(([key, live]) => ({ key, live })), more: reply.more };
      },
      resolve: async (key, r, timeoutMs) => {
        const object = await deps.coordinator.get(key, { r, w: r, pr: 0, pw: 0, timeoutMs });
        return object !== undefined && liveSiblings(object).length > 0;
      },
      nowMs: () => deps.clock.nowMs(),
      onBadBatch: (nodeId, problem) =>
        deps.logger.warn({ peer: nodeId, problem }, "listing answer refused: not usable"),
    },
    options,
  );
}
