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
