import type { SeededRandom } from "../random/seeded-random.js";
import { HotspotGenerator } from "./distributions/hotspot.js";
import { InsertSequence } from "./distributions/insert-sequence.js";
import type { NumberGenerator } from "./distributions/number-generator.js";
import { ScrambledZipfianGenerator } from "./distributions/scrambled-zipfian.js";
import { SkewedLatestGenerator } from "./distributions/skewed-latest.js";
import { UniformGenerator } from "./distributions/uniform.js";
import { fnvHash64 } from "./fnv-hash.js";
import { OperationChooser } from "./operation-chooser.js";
import type { Distribution, Operation, WorkloadSpec } from "./workloads.js";

export interface CoreWorkloadOptions {
  /** Records loaded before the run: record numbers 0..records-1. */
  records: number;
  /** Operations the run will issue, when known; sizes the zipfian key space for inserts. */
  operations: number | undefined;
  /** Overrides the workload's own request distribution. */
  distribution: Distribution | undefined;
  /** Key names are this prefix and the hashed record number. */
  keyPrefix: string;
}

/** One operation to perform: the key, and for an insert the record number to acknowledge. */
export interface PlannedOperation {
  operation: Operation;
  key: string;
  insertedRecord: number | undefined;
}

/** YCSB's key names: "user" followed by the FNV hash of the record number (`insertorder=hashed`). */
export function keyName(record: number, prefix = "user"): string {
  return `${prefix}${fnvHash64(record)}`;
}

/**
 * YCSB's CoreWorkload for a key-value store: which operation comes next and on which record.
 * Records 0..records-1 exist after the load phase; inserts during the run take the next numbers.
 */
export class CoreWorkload {
  readonly distribution: Distribution;
  private readonly chooser: OperationChooser;
  private readonly keys: NumberGenerator;
  private readonly inserts: InsertSequence;
  private readonly keyPrefix: string;

  constructor(
    readonly spec: WorkloadSpec,
    options: CoreWorkloadOptions,
    random: SeededRandom,
  ) {
    if (!Number.isSafeInteger(options.records) || options.records < 1)
      throw new RangeError(`a workload needs at least one record, got ${options.records}`);
    this.distribution = options.distribution ?? spec.distribution;
    this.keyPrefix = options.keyPrefix;
    this.chooser = new OperationChooser(random.fork(), spec.proportions);
    this.inserts = new InsertSequence(options.records);
    const keyRandom = random.fork();
    const last = options.records - 1;
    switch (this.distribution) {
      case "uniform":
        this.keys = new UniformGenerator(keyRandom, 0, last);
        break;
      case "hotspot":
        this.keys = new HotspotGenerator(keyRandom, 0, last);
        break;
      case "latest":
        this.keys = new SkewedLatestGenerator(keyRandom, this.inserts);
        break;
      case "zipfian": {
        // As YCSB does: size the scrambled key space for the inserts expected (twice, a fudge
        // factor) so the popular keys do not move as records are added; draws of records not
        // inserted yet are redrawn. With a duration instead of a count, assume one record's worth.
        const expected = options.operations ?? options.records;
        const newKeys = Math.ceil(expected * spec.proportions.insert * 2);
        this.keys = new ScrambledZipfianGenerator(keyRandom, 0, last + newKeys);
        break;
      }
    }
  }

  next(): PlannedOperation {
    const operation = this.chooser.next();
    if (operation === "insert") {
      const record = this.inserts.next();
      return { operation, key: keyName(record, this.keyPrefix), insertedRecord: record };
    }
    return { operation, key: keyName(this.nextRecord(), this.keyPrefix), insertedRecord: undefined };
  }

  /** Call once an insert finished, whether it succeeded or not (YCSB does the same). */
  acknowledgeInsert(record: number): void {
    this.inserts.acknowledge(record);
  }

  /** Records in the store: the loaded ones plus every insert acknowledged so far. */
  get recordsAcknowledged(): number {
    return this.inserts.lastAcknowledged + 1;
  }

  /** A record that exists: drawn from the distribution, redrawn while beyond the last acknowledged insert. */
  nextRecord(): number {
    const limit = this.inserts.lastAcknowledged;
    for (;;) {
      const record = this.keys.next();
      if (record <= limit) return record;
    }
  }
}
