/** Per-request knobs, validated by the API layer against the cluster's N and the limits. */
export interface RequestOptions {
  r: number;
  w: number;
  timeoutMs: number;
}
