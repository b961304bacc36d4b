import type { ClusterSettings } from "./config/node-options.js";
import type { ClusterState } from "./core/membership/cluster-state.js";
import { ConfigError } from "./errors.js";
import { parseClusterState } from "./protocol/cluster-state-schema.js";
import type { Random } from "./random/random.js";
import type { StorageEngine } from "./storage/engine.js";

/** What a data directory remembers about the node that owns it. */
export interface NodeIdentity {
  id: string;
  /**
   * The node's write identity in version vectors: its id plus an epoch drawn when the data
   * directory was created, and drawn again after a run that did not stop cleanly. A node whose
   * data was wiped, or whose last writes may not have reached its disk, comes back under a new
   * epoch, so its new writes can never reuse a dot (actor, counter) that already names another
   * value elsewhere.
   */
  actor: string;
  createdAtMs: number;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const IDENTITY_KEY = enc("identity");
const SETTINGS_KEY = enc("cluster-settings");
const GENERATION_KEY = enc("generation");
const CLUSTER_STATE_KEY = enc("cluster-state");
const RUNNING_KEY = enc("running");

/** The node's persistent metadata in the `meta` store. */
export class NodeMeta {
  constructor(private readonly storage: StorageEngine) {}

  /** The stored identity; a fresh data directory gets a new one. Another `--id` is refused. */
  async identity(id: string, random: Random, nowMs: number): Promise<NodeIdentity> {
    const stored = this.read<NodeIdentity>(IDENTITY_KEY);
    if (stored !== undefined) {
      if (stored.id !== id) throw new ConfigError(`--data-dir belongs to node "${stored.id}", not "${id}"`);
      return stored;
    }
    const identity: NodeIdentity = { id, actor: `${id}@${random.uint32().toString(36)}`, createdAtMs: nowMs };
    await this.write(IDENTITY_KEY, identity);
    return identity;
  }

  /**
   * Marks the data directory as in use by a running node; resolves with whether the last run
   * never cleared its mark (it crashed, was killed, or a commit failed). A coordinator sends a
   * write's new version to the other replicas while its own commit is still on its way to disk,
   * so after such a run a dot (actor, counter) may exist elsewhere that this directory never
   * stored: the node must not write under that actor again (see rotateActor).
   */
  async beginRun(): Promise<boolean> {
    const unclean = this.read<boolean>(RUNNING_KEY) === true;
    if (!unclean) await this.write(RUNNING_KEY, true);
    return unclean;
  }

  /** Clears the mark of beginRun: every write this node coordinated is durable here. */
  async endRun(): Promise<void> {
    await this.write(RUNNING_KEY, false);
  }

  /**
   * Gives the node a new actor for its writes from now on, keeping its id (Riak does the same
   * with vnode epochs after an unclean shutdown). Old entries of the previous actor stay in the
   * version vectors of keys it wrote; each crash adds at most one actor per key written after it.
   */
  async rotateActor(identity: NodeIdentity, random: Random): Promise<NodeIdentity> {
    const rotated: NodeIdentity = { ...identity, actor: `${identity.id}@${random.uint32().toString(36)}` };
    await this.write(IDENTITY_KEY, rotated);
    return rotated;
  }

  settings(): ClusterSettings | undefined {
    const stored = this.read<Omit<ClusterSettings, "conflictMode"> & Partial<ClusterSettings>>(SETTINGS_KEY);
    // Data directories made before conflict modes existed hold causal data.
    return stored === undefined ? undefined : { ...stored, conflictMode: stored.conflictMode ?? "causal" };
  }

  async storeSettings(settings: ClusterSettings): Promise<void> {
    await this.write(SETTINGS_KEY, settings);
  }

  /** Counts process starts: a restarted node's heartbeats must outrank its old ones. */
  async nextGeneration(): Promise<number> {
    const generation = (this.read<number>(GENERATION_KEY) ?? 0) + 1;
    await this.write(GENERATION_KEY, generation);
    return generation;
  }

  /** Raises the stored generation to at least `floor` (a wiped node rejoining); returns it. */
  async raiseGeneration(floor: number): Promise<number> {
    const generation = Math.max(floor, this.read<number>(GENERATION_KEY) ?? 0);
    await this.write(GENERATION_KEY, generation);
    return generation;
  }

  clusterState(partitions: number): ClusterState | undefined {
    const stored = this.read<unknown>(CLUSTER_STATE_KEY);
    return stored === undefined ? undefined : parseClusterState(stored, { membersMax: 100_000, partitions });
  }

  async storeClusterState(state: ClusterState): Promise<void> {
    await this.write(CLUSTER_STATE_KEY, state);
  }

  private read<T>(key: Uint8Array): T | undefined {
    const bytes = this.storage.get("meta", key);
    return bytes === undefined ? undefined : (JSON.parse(Buffer.from(bytes).toString("utf8")) as T);
  }

  private async write(key: Uint8Array, value: unknown): Promise<void> {
    await this.storage.batch([{ store: "meta", key, value: enc(JSON.stringify(value)) }]);
  }
}

/** Explicit flags must agree with the cluster's settings; omitted ones are adopted. */
export function checkSettingsConflicts(requested: Partial<ClusterSettings>, cluster: ClusterSettings): void {
  for (const name of ["n", "r", "w", "partitions"] as const) {
    const wanted = requested[name];
    if (wanted !== undefined && wanted !== cluster[name]) {
      throw new ConfigError(`--${name} ${wanted} conflicts with the cluster's ${name}=${cluster[name]}`);
    }
  }
  const mode = requested.conflictMode;
  if (mode !== undefined && mode !== cluster.conflictMode) {
    throw new ConfigError(
      `--conflict-mode ${mode} conflicts with the cluster's conflict mode ${cluster.conflictMode}`,
    );
  }
}

/** Settings of a new cluster: flags, then defaults; R and W default to a majority of N (Riak's quorum). */
export function newClusterSettings(
  requested: Partial<ClusterSettings>,
  defaults: ClusterSettings,
): ClusterSettings {
  const n = requested.n ?? defaults.n;
  const majority = Math.floor(n / 2) + 1;
  return {
    n,
    r: requested.r ?? majority,
    w: requested.w ?? majority,
    partitions: requested.partitions ?? defaults.partitions,
    conflictMode: requested.conflictMode ?? defaults.conflictMode,
  };
}
