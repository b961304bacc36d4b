import { type ConflictMode, isConflictMode } from "../core/conflict-mode.js";
import { isValidPartitionCount } from "../core/partition.js";
import { ConfigError } from "../errors.js";
import type { LogLevel } from "../log/logger.js";
import { type Address, formatAddress, isWildcardHost } from "./address.js";

/** Node ids are short, printable and safe in URLs, file names and log lines. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

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

export const defaultClusterSettings: ClusterSettings = {
  n: 3,
  r: 2,
  w: 2,
  partitions: 256,
  conflictMode: "causal",
};

/** Limits on what clients may send; each one is a flag and crossing it is a clear 4xx. */
export interface RequestLimits {
  keyBytesMax: number;
  valueBytesMax: number;
  contentTypeBytesMax: number;
  contextBytesMax: number;
  /** A write that would leave more siblings than this is refused (409 too_many_siblings). */
  siblingsMax: number;
  /** Above this many siblings a write is logged and counted as a warning. */
  siblingsWarn: number;
  timeoutMsDefault: number;
  timeoutMsMax: number;
  /** Hints this node holds for one home replica at most; beyond it, it refuses to be that replica's fallback. */
  hintsPerTargetMax: number;
}

export const defaultRequestLimits: RequestLimits = {
  keyBytesMax: 1024,
  valueBytesMax: 1024 * 1024,
  contentTypeBytesMax: 256,
  contextBytesMax: 8192,
  siblingsMax: 100,
  siblingsWarn: 25,
  timeoutMsDefault: 5000,
  timeoutMsMax: 60_000,
  hintsPerTargetMax: 1_000_000,
};

export interface HttpServerLimits {
  /** Open client connections beyond this are refused by the server. */
  connectionsMax: number;
  /** Requests being handled at once; more get 503 overloaded at once rather than queueing. */
  requestsInFlightMax: number;
  headersBytesMax: number;
  /** A client that does not finish sending its headers in this time is disconnected. */
  headersTimeoutMs: number;
  /** A request (headers and body) must arrive in this time. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** On shutdown, in-flight requests get this long to finish before connections are cut. */
  shutdownGraceMs: number;
}

export const defaultHttpServerLimits: HttpServerLimits = {
  connectionsMax: 4096,
  requestsInFlightMax: 8192,
  headersBytesMax: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  shutdownGraceMs: 10_000,
};

export interface StorageSettings {
  /** The LMDB map may grow to this many bytes; writes beyond it fail with 507 storage_full. */
  mapSizeBytesMax: number;
}

export const defaultStorageSettings: StorageSettings = { mapSizeBytesMax: 64 * 1024 ** 3 };

export interface NodeOptions {
  id: string;
  /** Nodes only talk to nodes of the same cluster name (checked in the transport handshake). */
  clusterName: string;
  listen: Address;
  http: Address;
  /**
   * The inter-node address peers dial, when it is not `listen` (a container bound to 0.0.0.0 and
   * reached by its host name, or behind NAT). Gossiped and sent in the handshake.
   */
  advertiseListen?: Address;
  /** The client API address announced to peers and clients (/cluster/members), when it is not `http`. */
  advertiseHttp?: Address;
  dataDir: string;
  seeds: Address[];
  /** Values given on the command line; undefined ones are adopted from the stored cluster settings. */
  cluster: Partial<ClusterSettings>;
  limits: RequestLimits;
  httpServer: HttpServerLimits;
  storage: StorageSettings;
  logLevel: LogLevel;
  /** Tombstones are kept at least this long after a delete before they may be reaped. */
  tombstoneGraceMs: number;
  /** One anti-entropy exchange (a partition with one other replica) starts per interval. */
  aaeIntervalMs: number;
  /** Testing only: serve /admin/faults, which drops or delays traffic to and from given peers. */
  faultInjection: boolean;
}

function checkInt(value: number, what: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${what} must be an integer in ${min}..${max}, got ${value}`);
  }
}

/** Checks settings that must hold together; returns them for chaining. */
export function validateClusterSettings(s: ClusterSettings): ClusterSettings {
  checkInt(s.n, "--n", 1, 64);
  checkInt(s.r, "--r", 1, s.n);
  checkInt(s.w, "--w", 1, s.n);
  if (!isValidPartitionCount(s.partitions)) {
    throw new ConfigError(`--partitions must be a power of two in 1..65536, got ${s.partitions}`);
  }
  if (!isConflictMode(s.conflictMode)) {
    throw new ConfigError(`--conflict-mode must be causal or lww, got "${String(s.conflictMode)}"`);
  }
  return s;
}

/**
 * A node tells its peers where to reach it. A wildcard bind address (0.0.0.0, ::) is not a place
 * anyone can dial, so it needs an explicit address to announce instead.
 */
function checkAdvertised(o: NodeOptions): void {
  if (isWildcardHost(o.listen.host) && o.advertiseListen === undefined) {
    throw new ConfigError(
      `--listen ${formatAddress(o.listen)} binds every interface, which peers cannot dial: set --advertise-listen to the host:port they reach this node on`,
    );
  }
  for (const [flag, address] of [
    ["--advertise-listen", o.advertiseListen],
    ["--advertise-http", o.advertiseHttp],
  ] as const) {
    if (address === undefined) continue;
    if (isWildcardHost(address.host))
      throw new ConfigError(
        `${flag} ${formatAddress(address)} must be an address others can dial, not a wildcard`,
      );
    if (address.port < 1 || address.port > 65535)
      throw new ConfigError(`${flag}: port ${address.port} is out of range 1..65535`);
  }
}

export function validateNodeOptions(o: NodeOptions): NodeOptions {
  if (!NODE_ID_PATTERN.test(o.id)) {
    throw new ConfigError(
      `--id "${o.id}" must be 1..64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit`,
    );
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(o.clusterName)) {
    throw new ConfigError(`--cluster-name "${o.clusterName}" must be 1..64 characters of A-Z a-z 0-9 . _ -`);
  }
  if (o.dataDir.trim() === "") throw new ConfigError("--data-dir must not be empty");
  checkAdvertised(o);
  const l = o.limits;
  // Storage keys (LMDB, 4 KiB pages) hold at most 1978 bytes: partition or hint prefixes plus the user key.
  checkInt(l.keyBytesMax, "--max-key-bytes", 1, 1900);
  checkInt(l.valueBytesMax, "--max-value-bytes", 0, 512 * 1024 * 1024);
  checkInt(l.siblingsMax, "--max-siblings", 1, 10_000);
  checkInt(l.siblingsWarn, "--warn-siblings", 1, l.siblingsMax);
  checkInt(l.timeoutMsDefault, "--timeout-ms", 1, l.timeoutMsMax);
  checkInt(l.timeoutMsMax, "--max-timeout-ms", 1, 3_600_000);
  checkInt(o.aaeIntervalMs, "--aae-interval-ms", 10, 3_600_000);
  checkInt(o.tombstoneGraceMs, "--tombstone-grace-ms", 0, 10 * 365 * 24 * 3600 * 1000);
  checkInt(l.hintsPerTargetMax, "--max-hints-per-node", 0, 1_000_000_000);
  checkInt(o.httpServer.connectionsMax, "--max-connections", 1, 1_000_000);
  checkInt(o.httpServer.requestsInFlightMax, "--max-requests-in-flight", 1, 1_000_000);
  checkInt(o.storage.mapSizeBytesMax, "--max-storage-bytes", 1024 * 1024, Number.MAX_SAFE_INTEGER);
  return o;
}
