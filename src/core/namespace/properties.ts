import { TTL_S_MAX } from "../expiry.js";

/**
 * A namespace's properties (API.md "Namespaces"): each one absent means "the cluster's".
 * `n` is its replica count, `r`/`w` its default quorums, `ttlSeconds` the expiry of a write
 * that sets none, `maxSiblings` the sibling limit of its keys.
 */
export interface NamespaceProperties {
  readonly n?: number;
  readonly r?: number;
  readonly w?: number;
  readonly ttlSeconds?: number;
  readonly maxSiblings?: number;
}

export const NAMESPACE_PROPERTY_NAMES = ["n", "r", "w", "ttlSeconds", "maxSiblings"] as const;
export type NamespacePropertyName = (typeof NAMESPACE_PROPERTY_NAMES)[number];

/** A replica count above this is not a cluster anyone runs; it bounds preference lists. */
export const NAMESPACE_N_MAX = 16;
/** The same bound as --max-siblings (config/option-table.ts). */
export const NAMESPACE_SIBLINGS_MAX = 10_000;

/** What the cluster uses where a namespace and a request say nothing. */
export interface ClusterDefaults {
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly siblingsMax: number;
}

/** Per-request values the client set explicitly (query parameters); absent: not given. */
export interface RequestedOptions {
  readonly r?: number;
  readonly w?: number;
  readonly ttlS?: number;
}

/** The values a request runs with. */
export interface EffectiveOptions {
  readonly n: number;
  readonly r: number;
  readonly w: number;
  /** Absent: the write does not expire. */
  readonly ttlS?: number;
  readonly siblingsMax: number;
}

/**
 * Request values win, then the namespace's, then the cluster's; the cluster's r and w are capped
 * at a smaller namespace n (an n=1 namespace reads and writes at 1 unless told otherwise). Pure;
 * inputs are validated already.
 */
export function effectiveOptions(
  request: RequestedOptions,
  properties: NamespaceProperties,
  cluster: ClusterDefaults,
): EffectiveOptions {
  const ttlS = request.ttlS ?? properties.ttlSeconds;
  const n = properties.n ?? cluster.n;
  return {
    n,
    r: request.r ?? properties.r ?? Math.min(cluster.r, n),
    w: request.w ?? properties.w ?? Math.min(cluster.w, n),
    ...(ttlS === undefined ? {} : { ttlS }),
    siblingsMax: properties.maxSiblings ?? cluster.siblingsMax,
  };
}

/** The inclusive range each property may take; r and w are further bounded by n. */
function rangeOf(name: NamespacePropertyName): readonly [number, number] {
  switch (name) {
    case "n":
      return [1, NAMESPACE_N_MAX];
    case "r":
    case "w":
      return [1, NAMESPACE_N_MAX];
    case "ttlSeconds":
      return [1, TTL_S_MAX];
    case "maxSiblings":
      return [1, NAMESPACE_SIBLINGS_MAX];
  }
}

function isPropertyName(name: string): name is NamespacePropertyName {
  return (NAMESPACE_PROPERTY_NAMES as readonly string[]).includes(name);
}

export type PropertiesParse =
  | { readonly ok: true; readonly properties: NamespaceProperties }
  | { readonly ok: false; readonly problem: string };

/**
 * Checks a client's property change (a parsed JSON body): an object of known fields, each an
 * integer in its range. Says nothing of how it combines with the stored ones (see mergeProperties).
 */
export function parsePropertyChange(raw: unknown): PropertiesParse {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { ok: false, problem: `the body must be a JSON object of ${NAMESPACE_PROPERTY_NAMES.join(", ")}` };
  const out: Partial<Record<NamespacePropertyName, number>> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!isPropertyName(name))
      return {
        ok: false,
        problem: `unknown field ${name.slice(0, 40)}; a namespace has ${NAMESPACE_PROPERTY_NAMES.join(", ")}`,
      };
    const [min, max] = rangeOf(name);
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max)
      return { ok: false, problem: `${name} must be an integer in ${min}..${max}` };
    out[name] = value;
  }
  return { ok: true, properties: out };
}

/**
 * The properties after `change` is applied over `current`, or the problem: `r` and `w` may not
 * exceed the namespace's n (its own, or the cluster's when it has none).
 */
export function mergeProperties(
  current: NamespaceProperties,
  change: NamespaceProperties,
  clusterN: number,
): PropertiesParse {
  const merged: NamespaceProperties = { ...current, ...change };
  const n = merged.n ?? clusterN;
  for (const name of ["r", "w"] as const) {
    const value = merged[name];
    if (value !== undefined && value > n)
      return { ok: false, problem: `${name}=${value} is more than the namespace's n=${n}` };
  }
  return { ok: true, properties: merged };
}

/** Stored properties (a metadata value) as properties; a field that is not a valid one is ignored. */
export function propertiesOf(
  stored: Readonly<Record<string, string | number | boolean>> | undefined,
): NamespaceProperties {
  if (stored === undefined) return {};
  const out: Partial<Record<NamespacePropertyName, number>> = {};
  for (const name of NAMESPACE_PROPERTY_NAMES) {
    const value = stored[name];
    const [min, max] = rangeOf(name);
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max)
      out[name] = value;
  }
  return out;
}
