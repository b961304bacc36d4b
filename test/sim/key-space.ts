import { DEFAULT_NAMESPACE, encodeKey } from "../../src/core/namespace/index.js";
import { bytes } from "./workload.js";

/** A namespace of a run with the replica count it is given. */
export interface SimNamespace {
  readonly name: string;
  readonly n: number;
}

/**
 * The keys of a run: each a label (what the history, the trace and the invariants name it by),
 * the namespace it lives in, and its stored key (what the coordinator and the storage see).
 */
export interface KeySpace {
  readonly labels: readonly string[];
  /** The namespaces set up at the start of the run (none: every key is in `default`). */
  readonly namespaces: readonly SimNamespace[];
  namespaceOf(label: string): string;
  stored(label: string): Uint8Array;
  /** The key's replica count once every node knows its namespace's n. */
  nOf(label: string): number;
  /** The largest replica count of any key: a node outside a partition's first nMax holds nothing of it. */
  readonly nMax: number;
}

/** Keys of `default` only, stored as their labels' bytes: the key space of every run before mixed n. */
export function defaultKeySpace(labels: readonly string[], n: number): KeySpace {
  return {
    labels,
    namespaces: [],
    namespaceOf: () => DEFAULT_NAMESPACE,
    stored: (label) => bytes(label),
    nOf: () => n,
    nMax: n,
  };
}

/** The namespace of a mixed-n run with fewer replicas than the cluster's N. */
export const NARROW_NAMESPACE = "narrow";
/** The namespace of a mixed-n run with more replicas than the cluster's N. */
export const WIDE_NAMESPACE = "wide";

/**
 * The keys of a mixed-n run: `k0..k{count-1}` spread in turn over `default` (the cluster's N),
 * `narrow` (n=2) and `wide` (n=N+1); `k0` is in all three, so one user key lives in every
 * namespace (their stored keys differ). A label is the user key for `default`, `ns/key` otherwise.
 */
export function mixedKeySpace(count: number, clusterN: number): KeySpace {
  const namespaces: SimNamespace[] = [
    { name: NARROW_NAMESPACE, n: 2 },
    { name: WIDE_NAMESPACE, n: clusterN + 1 },
  ];
  const order = [DEFAULT_NAMESPACE, NARROW_NAMESPACE, WIDE_NAMESPACE];
  const entries = new Map<string, { namespace: string; key: string }>();
  const add = (namespace: string, key: string): void => {
    entries.set(namespace === DEFAULT_NAMESPACE ? key : `${namespace}/${key}`, { namespace, key });
  };
  for (let i = 0; i < count; i++) add(order[i % order.length] as string, `k${i}`);
  add(NARROW_NAMESPACE, "k0");
  add(WIDE_NAMESPACE, "k0");
  const nByNamespace = new Map(namespaces.map((ns) => [ns.name, ns.n]));
  const entry = (label: string): { namespace: string; key: string } => {
    const found = entries.get(label);
    if (found === undefined) throw new RangeError(`no key ${label} in this run`);
    return found;
  };
  return {
    labels: [...entries.keys()],
    namespaces,
    namespaceOf: (label) => entry(label).namespace,
    stored: (label) => {
      const { namespace, key } = entry(label);
      return encodeKey(namespace, bytes(key));
    },
    nOf: (label) => nByNamespace.get(entry(label).namespace) ?? clusterN,
    nMax: Math.max(clusterN, ...namespaces.map((ns) => ns.n)),
  };
}
