/** What a read found: a value, or no value under the key. */
export type ReadOutcome = "found" | "not-found";

/**
 * One bench client's handle on the store under test. The runner keeps at most one operation in
 * flight per connection, so `--connections` is the number of concurrent closed-loop clients.
 */
export interface BenchConnection {
  read(key: string): Promise<ReadOutcome>;
  /** Overwrites an existing record. */
  update(key: string, value: Uint8Array): Promise<void>;
  /** Writes a new record. */
  insert(key: string, value: Uint8Array): Promise<void>;
  /** Reads a record, then writes a new value for it (YCSB's read-modify-write). */
  readModifyWrite(key: string, value: Uint8Array): Promise<ReadOutcome>;
}

/** A store under test: hands out connections and counts what is specific to it. */
export interface BenchDriver {
  /** `ringkv`, `redis` or `etcd`. */
  readonly target: string;
  /** What the driver does per operation, for the report (e.g. "GET / SET"). */
  readonly description: string;
  /** The connection for bench client `index` (0..connections-1); drivers may share one among clients. */
  connection(index: number): BenchConnection;
  /** Counters specific to the target (siblings seen, extra reads), reported as they are. */
  stats(): Record<string, number>;
  close(): Promise<void>;
}
