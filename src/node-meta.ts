import { type ClusterSettings, validateClusterSettings } from "./config/node-options.js";
import { ConfigError } from "./errors.js";
import type { Random } from "./random/random.js";
import type { StorageEngine } from "./storage/engine.js";

/** What a data directory remembers about the node that owns it. */
export interface NodeIdentity {
  id: string;
  /**
   * The node's write identity in version vectors: its id plus an epoch drawn when the data
   * directory was created. A node whose data was wiped comes back under a new epoch, so its new
   * writes can never reuse a dot (actor, counter) that already names another value elsewhere.
   */
  actor: string;
  createdAtMs: number;
}

const IDENTITY_KEY = new TextEncoder().encode("identity");
const SETTINGS_KEY = new TextEncoder().encode("cluster-settings");

/**
 * Reads the identity and cluster settings stored in the data directory, or stores them on first
 * start. A different `--id` or a conflicting explicit setting is refused: the data belongs to
 * another node or another cluster.
 */
export async function loadOrCreateMeta(
  storage: StorageEngine,
  id: string,
  requested: Partial<ClusterSettings>,
  defaults: ClusterSettings,
  random: Random,
  nowMs: number,
): Promise<{ identity: NodeIdentity; settings: ClusterSettings }> {
  const storedIdentity = readJson<NodeIdentity>(storage, IDENTITY_KEY);
  const storedSettings = readJson<ClusterSettings>(storage, SETTINGS_KEY);
  if (storedIdentity !== undefined && storedSettings !== undefined) {
    if (storedIdentity.id !== id) {
      throw new ConfigError(`--data-dir belongs to node "${storedIdentity.id}", not "${id}"`);
    }
    for (const name of ["n", "r", "w", "partitions"] as const) {
      const wanted = requested[name];
      if (wanted !== undefined && wanted !== storedSettings[name]) {
        throw new ConfigError(`--${name} ${wanted} conflicts with the cluster's ${name}=${storedSettings[name]}`);
      }
    }
    return { identity: storedIdentity, settings: storedSettings };
  }
  const epoch = random.uint32().toString(36);
  const identity: NodeIdentity = { id, actor: `${id}@${epoch}`, createdAtMs: nowMs };
  const n = requested.n ?? defaults.n;
  // R and W default to a majority of N, as in Riak, so `--n 1` alone is a valid cluster.
  const majority = Math.floor(n / 2) + 1;
  const settings: ClusterSettings = validateClusterSettings({
    n,
    r: requested.r ?? majority,
    w: requested.w ?? majority,
    partitions: requested.partitions ?? defaults.partitions,
  });
  await storage.batch([
    { store: "meta", key: IDENTITY_KEY, value: encodeJson(identity) },
    { store: "meta", key: SETTINGS_KEY, value: encodeJson(settings) },
  ]);
  return { identity, settings };
}

function readJson<T>(storage: StorageEngine, key: Uint8Array): T | undefined {
  const bytes = storage.get("meta", key);
  return bytes === undefined ? undefined : (JSON.parse(Buffer.from(bytes).toString("utf8")) as T);
}

function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
