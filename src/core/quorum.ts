/** What a coordinator does next, given the replies so far. Pure: the coordinator feeds it. */
export type QuorumOutcome = "done" | "failed" | "waiting";

/**
 * `targets` replicas were asked; `acks` said yes, `failures` said no or timed out.
 * Failed as soon as the remaining replicas cannot reach `needed`.
 */
export function quorumOutcome(
  acks: number,
  failures: number,
  targets: number,
  needed: number,
): QuorumOutcome {
  if (acks >= needed) return "done";
  if (targets - failures < needed) return "failed";
  return "waiting";
}

/**
 * Sloppy quorum over the N home slots of a key: a slot is answered by its home replica (a primary
 * ack) or by a fallback standing in for it (an ack that counts towards R/W but not towards PR/PW).
 * `pending` slots have not answered yet and could still be primary acks.
 */
export function slotOutcome(
  acks: number,
  primaryAcks: number,
  pending: number,
  needed: number,
  primaryNeeded: number,
): QuorumOutcome {
  if (acks >= needed && primaryAcks >= primaryNeeded) return "done";
  if (acks + pending < needed || primaryAcks + pending < primaryNeeded) return "failed";
  return "waiting";
}
