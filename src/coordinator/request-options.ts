/** Per-request knobs, validated by the API layer against the cluster's N and the limits. */
export interface RequestOptions {
  r: number;
  w: number;
  /** Strict reads (Riak's PR): how many of the `r` replies must come from home replicas. */
  pr: number;
  /** Strict writes (Riak's PW): how many of the `w` acks must come from home replicas. */
  pw: number;
  timeoutMs: number;
  /**
   * Expiry: the written version reads as deleted this many seconds after the write (1..TTL_S_MAX,
   * core/expiry.ts). Ignored for deletes; absent: the version never expires.
   */
  ttlS?: number;
  /**
   * The key's replica count, as the node that took the request judged it (its namespace's n).
   * Absent: the coordinator asks its own replica counts.
   */
  n?: number;
}
