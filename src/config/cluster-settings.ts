import { type ConflictMode, isConflictMode } from "../core/conflict-mode.js";
import { isValidPartitionCount } from "../core/partition.js";
import { ConfigError } from "../errors.js";
import { checkInteger } from "./option-spec.js";

/**
 * Cluster-wide settings, fixed when the cluster is created and stored with the data. Flags may
 * repeat them; a conflicting value is refused at start-up.
 */
export interface ClusterSettings {
  n: number;
  r: number;
  w: number;
  partitions: number;
  /** How concurrent writes resolve: causal histories with siblings, or last write wins. */
  conflictMode: ConflictMode;
}

/** What a new cluster gets where its first node's flags say nothing (R and W: a majority of N). */
export const defaultClusterSettings: ClusterSettings = {
  n: 3,
  r: 2,
  w: 2,
  partitions: 256,
  conflictMode: "causal",
};

/** Checks settings that must hold together; returns them for chaining. */
export function validateClusterSettings(s: ClusterSettings): ClusterSettings {
  checkInteger(s.n, "--n", 1, 64);
  checkInteger(s.r, "--r", 1, s.n);
  checkInteger(s.w, "--w", 1, s.n);
  if (!isValidPartitionCount(s.partitions)) {
    throw new ConfigError(`--partitions must be a power of two in 1..65536, got ${s.partitions}`);
  }
  if (!isConflictMode(s.conflictMode)) {
    throw new ConfigError(`--conflict-mode must be causal or lww, got "${String(s.conflictMode)}"`);
  }
  return s;
}
