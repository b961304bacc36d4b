import type { BatchOp, StorageEngine } from "../storage/engine.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const PREFIX = "xfer/";
const PREFIX_END = "xfer0"; // "0" follows "/" in ASCII: the end of the prefix range
const DONE = enc("done");

/** Where a restarted node picks a ring version's transfer up again. */
export interface TransferResume {
  version: number;
  /** Partitions fully received for the version. */
  done: Set<number>;
  /** The last key merged, by partition and source (`${partition}/${source}`). */
  cursors: Map<string, Uint8Array>;
}

function cursorId(partition: number, source: string): string {
  return `${partition}/${source}`;
}

/**
 * The persisted progress of receiving partitions, in the `meta` store: per (ring version,
 * partition, source) the last key merged, written after each batch's merges are durable, and per
 * (version, partition) a mark once the partition is received. Only one version's entries are
 * kept (at most partitions x (N + 1)); older ones are deleted when a newer version begins.
 */
export class TransferCursors {
  constructor(private readonly storage: StorageEngine) {}

  /** The stored progress of `version`; entries of every other version are deleted. */
  async load(version: number): Promise<TransferResume> {
    const resume: TransferResume = { version, done: new Set(), cursors: new Map() };
    const stale: BatchOp[] = [];
    for (const [key, value] of this.storage.scan("meta", { start: enc(PREFIX), end: enc(PREFIX_END) })) {
      const parsed = parseKey(new TextDecoder().decode(key));
      if (parsed === undefined || parsed.version !== version) {
        stale.push({ store: "meta", key, value: null });
        continue;
      }
      if (parsed.source === undefined) resume.done.add(parsed.partition);
      else resume.cursors.set(cursorId(parsed.partition, parsed.source), value);
    }
    if (stale.length > 0) await this.storage.batch(stale);
    return resume;
  }

  /** Deletes every stored entry (no change pending any more). Resolves with how many there were. */
  async clear(): Promise<number> {
    const ops: BatchOp[] = [];
    for (const [key] of this.storage.scan("meta", { start: enc(PREFIX), end: enc(PREFIX_END) }))
      ops.push({ store: "meta", key, value: null });
    if (ops.length > 0) await this.storage.batch(ops);
    return ops.length;
  }

  /** Records the last key merged from `source`; call once the merges are durable. */
  async advance(version: number, partition: number, source: string, lastKey: Uint8Array): Promise<void> {
    await this.storage.batch([
      { store: "meta", key: enc(`${PREFIX}${version}/${partition}/${source}`), value: lastKey },
    ]);
  }

  /** Marks the partition received for the version and drops its per-source cursors. */
  async finish(version: number, partition: number, sources: readonly string[]): Promise<void> {
    const ops: BatchOp[] = sources.map((s) => ({
      store: "meta",
      key: enc(`${PREFIX}${version}/${partition}/${s}`),
      value: null,
    }));
    ops.push({ store: "meta", key: enc(`${PREFIX}${version}/${partition}`), value: DONE });
    await this.storage.batch(ops);
  }

  static cursorId = cursorId;
}

function parseKey(key: string): { version: number; partition: number; source?: string } | undefined {
  if (!key.startsWith(PREFIX)) return undefined;
  const parts = key.slice(PREFIX.length).split("/");
  const version = Number(parts[0]);
  const partition = Number(parts[1]);
  if (!Number.isSafeInteger(version) || !Number.isSafeInteger(partition) || partition < 0) return undefined;
  if (parts.length === 2) return { version, partition };
  // A member id may itself hold a "/": everything after the partition is the source.
  return { version, partition, source: parts.slice(2).join("/") };
}
