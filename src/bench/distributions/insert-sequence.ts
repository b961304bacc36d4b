/**
 * Record numbers for inserts during a run (YCSB's AcknowledgedCounterGenerator). `next()` hands
 * out new record numbers; `acknowledge()` marks one done (stored or failed). `lastAcknowledged`
 * is the highest number below which every insert finished, so reads never pick a record whose
 * insert is still in flight. Pending acknowledgements are at most the number of clients.
 */
export class InsertSequence {
  private nextNumber: number;
  private limit: number;
  private readonly pending = new Set<number>();

  /** `recordCount` records (0..recordCount-1) exist before the run. */
  constructor(recordCount: number) {
    this.nextNumber = recordCount;
    this.limit = recordCount - 1;
  }

  next(): number {
    return this.nextNumber++;
  }

  acknowledge(value: number): void {
    this.pending.add(value);
    while (this.pending.delete(this.limit + 1)) this.limit++;
  }

  /** The highest record number every earlier insert of which finished (-1 when none exists). */
  get lastAcknowledged(): number {
    return this.limit;
  }
}
