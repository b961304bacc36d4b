/**
 * What the clients did: one record per attempted add of an element to a set. The checker
 * compares these against the final reads, Jepsen-style.
 */

/**
 * - `ok`: the PUT was answered 204: acknowledged, so it must survive.
 * - `failed`: the PUT was answered with an error status (it may still have been stored on some
 *   replicas, API.md says so), or no PUT carrying it was ever sent.
 * - `unknown`: a PUT was sent and no answer came (timeout, connection reset): it may or may not
 *   have been stored.
 */
export type AddOutcome = "ok" | "failed" | "unknown";

export interface AddRecord {
  key: string;
  element: number;
  outcome: AddOutcome;
  /** Whether a PUT carrying the element left this process (an element never sent must never appear). */
  sent: boolean;
  /** The node the PUT went to, if any. */
  node: string | undefined;
  /** Status code or error text, for reading a failed run. */
  detail: string;
  startedAtMs: number;
  endedAtMs: number;
}

export class History {
  readonly records: AddRecord[] = [];
  private nextElement = 0;

  /** A fresh element: distinct across every key and client of a run. */
  element(): number {
    return this.nextElement++;
  }

  record(r: AddRecord): void {
    this.records.push(r);
  }
}
