/** The request distributions YCSB's CoreWorkload offers that this tool implements. */
export const DISTRIBUTIONS = ["zipfian", "latest", "uniform", "hotspot"] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

export const OPERATIONS = ["read", "update", "insert", "readModifyWrite"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** One YCSB core workload: operation proportions (summing to 1) and its request distribution. */
export interface WorkloadSpec {
  name: WorkloadName;
  description: string;
  proportions: Readonly<Record<Operation, number>>;
  distribution: Distribution;
}

export const WORKLOAD_NAMES = ["a", "b", "c", "d", "f"] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

const none = { read: 0, update: 0, insert: 0, readModifyWrite: 0 };

/**
 * YCSB's core workloads (workloads/workloada ... workloadf). E (short range scans) is left out:
 * a hash-partitioned store has no range scan.
 */
export const WORKLOADS: Readonly<Record<WorkloadName, WorkloadSpec>> = {
  a: {
    name: "a",
    description: "update heavy: 50% read, 50% update, zipfian",
    proportions: { ...none, read: 0.5, update: 0.5 },
    distribution: "zipfian",
  },
  b: {
    name: "b",
    description: "read mostly: 95% read, 5% update, zipfian",
    proportions: { ...none, read: 0.95, update: 0.05 },
    distribution: "zipfian",
  },
  c: {
    name: "c",
    description: "read only: 100% read, zipfian",
    proportions: { ...none, read: 1 },
    distribution: "zipfian",
  },
  d: {
    name: "d",
    description: "read latest: 95% read, 5% insert, latest",
    proportions: { ...none, read: 0.95, insert: 0.05 },
    distribution: "latest",
  },
  f: {
    name: "f",
    description: "read-modify-write: 50% read, 50% read-modify-write, zipfian",
    proportions: { ...none, read: 0.5, readModifyWrite: 0.5 },
    distribution: "zipfian",
  },
};

export function isWorkloadName(value: string): value is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(value);
}

export function isDistribution(value: string): value is Distribution {
  return (DISTRIBUTIONS as readonly string[]).includes(value);
}
