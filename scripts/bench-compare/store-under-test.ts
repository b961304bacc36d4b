/** A store the comparison started: how to point `ringkv bench` at it, and how it was started. */
export interface StoreUnderTest {
  /** `ringkv-3`, `etcd`, `redis-always`, ... */
  id: string;
  /** How the report names it: "ringkv, 3 nodes (N=3, R=2, W=2)". */
  label: string;
  /** `--target ... --nodes ...` for `ringkv bench`. */
  benchArgs: string[];
  /** The command lines that started it, as run. */
  commands: string[];
  stop(): Promise<void>;
}
