/**
 * The largest counter a node accepts from a peer: a DVV counter, a generation, heartbeat, state,
 * info or ring version. 2^40 is far beyond any real use (a heartbeat every 10 ms for 348 years,
 * a trillion writes by one coordinator to one key) and far below 2^53, where `counter + 1` stops
 * being exact: a peer that sent 2^53 - 1 would otherwise freeze the counter for good (a ring no
 * claimant can supersede, a heartbeat no node can outrun), and one at the ceiling leaves every
 * honest node 2^53 - 2^40 increments of room.
 */
export const PEER_COUNTER_MAX = 2 ** 40;

/** Whether `n` is an integer in [min, PEER_COUNTER_MAX]. */
export function isPeerCounter(n: unknown, min = 0): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= min && n <= PEER_COUNTER_MAX;
}
