import { decodeKey } from "./key-encoding.js";
import { NAMESPACE_N_MAX, type NamespaceProperties } from "./properties.js";

/**
 * How many replicas a stored key has (its "n"): its namespace's `n`, else the cluster's N. Every
 * path that places or copies a key asks this (the coordinator, fencing, hinted handoff,
 * anti-entropy, transfer, reclaim, the reaper, listing), so a namespace's n is one promise kept
 * everywhere. A key's home replicas are the first n of its partition's preference list; for n
 * above N the list goes on past the N home replicas of the ring (zones are spread over the first
 * N only).
 */
export interface ReplicaCounts {
  /** The n of a stored key. */
  nOf(storedKey: Uint8Array): number;
  /** Every n some key may have now: the cluster's N and each configured namespace's; ascending, distinct. */
  inUse(): readonly number[];
  /** Moves whenever some namespace's n changes: what was derived from nOf (trees) keys on it. */
  readonly version: number;
}

/** Every key has the cluster's N (a node without namespaces, unit tests). */
export function uniformReplicaCounts(n: number): ReplicaCounts {
  checkN(n);
  const inUse = Object.freeze([n]);
  return { nOf: () => n, inUse: () => inUse, version: 0 };
}

/**
 * The n of each configured namespace, over the cluster's N. `update` takes the namespace list
 * whenever it changes (the metadata's listener); only a change of some namespace's n moves the
 * version. A stored key that is no namespaced key (bytes no client wrote) counts as `default`'s.
 */
export class NamespaceReplicaCounts implements ReplicaCounts {
  private byNamespace = new Map<string, number>();
  private sorted: readonly number[];
  private defaultN: number;
  version = 0;

  constructor(private readonly clusterN: number) {
    checkN(clusterN);
    this.defaultN = clusterN;
    this.sorted = Object.freeze([clusterN]);
  }

  nOf(storedKey: Uint8Array): number {
    // The common case, a key of `default`, decodes nothing.
    if (storedKey[0] !== 0xff) return this.defaultN;
    const namespace = decodeKey(storedKey)?.namespace;
    return namespace === undefined ? this.defaultN : (this.byNamespace.get(namespace) ?? this.clusterN);
  }

  inUse(): readonly number[] {
    return this.sorted;
  }

  update(namespaces: readonly (readonly [string, NamespaceProperties])[]): void {
    const next = new Map<string, number>();
    for (const [name, properties] of namespaces) {
      const n = properties.n;
      if (n !== undefined && n !== this.clusterN && Number.isInteger(n) && n >= 1 && n <= NAMESPACE_N_MAX)
        next.set(name, n);
    }
    if (sameMap(next, this.byNamespace)) return;
    this.byNamespace = next;
    this.defaultN = next.get("default") ?? this.clusterN;
    this.sorted = Object.freeze([...new Set([this.clusterN, ...next.values()])].sort((a, b) => a - b));
    this.version += 1;
  }
}

function sameMap(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`replica count ${n} is not in 1..64`);
}
