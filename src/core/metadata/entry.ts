import { createHash } from "node:crypto";

/**
 * Cluster metadata: a small store every node holds whole (tokens, namespace properties), kept
 * in step by push on change and periodic anti-entropy (src/cluster/metadata). Entries are
 * last-writer-wins registers: the higher (version, writer) wins, so merging is commutative,
 * associative and idempotent and every node converges to the same entries. A delete is a
 * tombstone (value null) that wins like any write, so it spreads and is never undone by an older
 * copy. Not linearizable: two nodes setting one key at once both succeed and one of them wins.
 */

/** The spaces metadata holds; an entry of another space from a peer is refused. */
export const METADATA_SPACES = ["tokens", "namespaces"] as const;
export type MetadataSpace = (typeof METADATA_SPACES)[number];

/** A flat record: enough for a token ({role, hash, createdAtMs}) or namespace properties. */
export type MetadataValue = Readonly<Record<string, string | number | boolean>>;

export interface MetadataEntry {
  readonly space: MetadataSpace;
  readonly key: string;
  /** null: deleted (a tombstone). */
  readonly value: MetadataValue | null;
  /** A millisecond clock reading, raised past the entry it replaces (see nextVersion). */
  readonly version: number;
  /** The node that wrote it; breaks ties between equal versions. */
  readonly writer: string;
}

/** Orders two versions of one entry: > 0 when `a` wins. */
export function compareEntries(a: MetadataEntry, b: MetadataEntry): number {
  if (a.version !== b.version) return a.version - b.version;
  if (a.writer !== b.writer) return a.writer < b.writer ? -1 : 1;
  // One writer never gives two values one version; a peer that does still cannot make nodes
  // disagree, since the tie is broken the same way everywhere.
  const av = canonical(a.value);
  const bv = canonical(b.value);
  return av < bv ? -1 : av > bv ? 1 : 0;
}

function canonical(value: MetadataValue | null): string {
  if (value === null) return "";
  return JSON.stringify(
    Object.keys(value)
      .sort()
      .map((k) => [k, value[k]]),
  );
}

/** The winner of two versions of one entry (the merge). */
export function newerEntry(a: MetadataEntry, b: MetadataEntry): MetadataEntry {
  return compareEntries(a, b) >= 0 ? a : b;
}

/**
 * The version of a write that replaces `current`: the clock, or one past the current version
 * when the clock is behind it (another node's clock ran ahead), so a later write always wins.
 */
export function nextVersion(nowMs: number, current: MetadataEntry | undefined): number {
  return Math.max(Math.floor(nowMs), (current?.version ?? 0) + 1);
}

export function entryId(space: string, key: string): string {
  return `${space}\u0000${key}`;
}

/**
 * A digest of a whole store: equal digests mean equal stores (to SHA-256's collision
 * resistance), so an anti-entropy round between nodes in step sends 64 characters each way.
 */
export function digestOf(entries: Iterable<MetadataEntry>): string {
  const ids = [...entries].map((e) => `${entryId(e.space, e.key)}\u0000${e.version}\u0000${e.writer}`).sort();
  const hash = createHash("sha256");
  for (const id of ids) hash.update(id).update("\n");
  return hash.digest("hex");
}
