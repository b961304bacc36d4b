import type { Gossiper } from "../cluster/gossiper.js";
import { findMember } from "../core/membership/cluster-state.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { Logger } from "../log/logger.js";

/** This node hands its partitions over and leaves the ring; a no-op once it is leaving. */
export async function leaveCluster(gossiper: Gossiper, logger: Logger): Promise<void> {
  const self = gossiper.self();
  if (self.state === "leaving" || self.state === "left") return;
  const others = gossiper.current.members.filter(
    (m) => m.id !== self.id && (m.state === "active" || m.state === "joining"),
  );
  if (others.length === 0) throw new ConflictError("the last member of a cluster cannot leave it");
  await gossiper.updateSelf((s) => ({ ...s, state: "leaving", stateVersion: s.stateVersion + 1 }));
  logger.info("leaving the cluster: handing partitions over");
}

/** Marks a member that is down as left for good; the survivors re-create its replicas. */
export async function removeMember(
  gossiper: Gossiper,
  selfId: string,
  id: string,
  logger: Logger,
): Promise<void> {
  const member = findMember(gossiper.current, id);
  if (member === undefined || member.state === "left")
    throw new NotFoundError(`no member ${id.slice(0, 64)}`);
  if (id === selfId) throw new ConflictError("a node cannot remove itself: use POST /cluster/leave");
  const status = gossiper.status(id);
  if (status !== "down") {
    throw new ConflictError(
      `${id} is ${status}: only a node that is down can be removed (stop it, or have it leave)`,
    );
  }
  await gossiper.updateMember(id, (m) => ({ ...m, state: "left", stateVersion: m.stateVersion + 1 }));
  logger.info({ removed: id }, "node removed: its replicas will be re-created");
}
