import { NODE_ID_PATTERN } from "../config/node-options.js";
import { METADATA_SPACES, type MetadataEntry, type MetadataSpace } from "../core/metadata/entry.js";

/** Entries a store, and so one sync answer, holds at most. */
export const METADATA_ENTRIES_MAX = 4096;
/** Fields of one value, and the longest field name and string value. */
export const METADATA_FIELDS_MAX = 16;
const FIELD_NAME_CHARS_MAX = 64;
const FIELD_TEXT_BYTES_MAX = 1024;
const KEY_BYTES_MAX = 128;
/** No clock reading comes near this (year 2255); a version above it is a hostile one. */
export const METADATA_VERSION_MAX = 2 ** 43;

/** Why `raw` is not a well-formed entry, or undefined when it is. */
export function metadataEntryProblem(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "an entry is not a map";
  const { space, key, value, version, writer } = raw as Record<string, unknown>;
  if (typeof space !== "string" || !(METADATA_SPACES as readonly string[]).includes(space))
    return `space is not one of ${METADATA_SPACES.join(", ")}`;
  if (typeof key !== "string" || key.length === 0 || Buffer.byteLength(key) > KEY_BYTES_MAX)
    return `key is not a string of 1..${KEY_BYTES_MAX} bytes`;
  if (
    typeof version !== "number" ||
    !Number.isSafeInteger(version) ||
    version < 0 ||
    version > METADATA_VERSION_MAX
  )
    return `version is not an integer in 0..${METADATA_VERSION_MAX}`;
  if (typeof writer !== "string" || !NODE_ID_PATTERN.test(writer)) return "writer is not a node id";
  if (value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value) || ArrayBuffer.isView(value))
    return "value is not a map";
  const fields = Object.entries(value as Record<string, unknown>);
  if (fields.length > METADATA_FIELDS_MAX) return `value has more than ${METADATA_FIELDS_MAX} fields`;
  for (const [name, field] of fields) {
    if (name.length === 0 || name.length > FIELD_NAME_CHARS_MAX) return "a field name is too long";
    if (typeof field === "string" && Buffer.byteLength(field) <= FIELD_TEXT_BYTES_MAX) continue;
    if (typeof field === "number" && Number.isFinite(field)) continue;
    if (typeof field === "boolean") continue;
    return `field ${name} is not a string of at most ${FIELD_TEXT_BYTES_MAX} bytes, a finite number or a boolean`;
  }
  return undefined;
}

/**
 * An entry of a peer's message that this node cannot take: not well formed, or of a space it
 * does not know (a newer node's). It is skipped, and the others are still taken, so one such
 * entry never stops every other change (a token revoked during a rolling upgrade) from spreading.
 */
export interface RefusedMetadataEntry {
  readonly refused: string;
}

export function isRefusedEntry(e: MetadataEntry | RefusedMetadataEntry): e is RefusedMetadataEntry {
  return "refused" in e;
}

/**
 * A peer's entries, each checked: a bad one becomes a RefusedMetadataEntry naming its problem.
 * Throws (the message is refused whole) only when the list itself is not one: not an array, or
 * longer than a store can be.
 */
export function parseMetadataEntries(raw: unknown): (MetadataEntry | RefusedMetadataEntry)[] {
  if (!Array.isArray(raw)) throw new Error("entries is not an array");
  if (raw.length > METADATA_ENTRIES_MAX) throw new Error(`more than ${METADATA_ENTRIES_MAX} entries`);
  return raw.map((item, i): MetadataEntry | RefusedMetadataEntry => {
    const problem = metadataEntryProblem(item);
    if (problem !== undefined) return { refused: `entries[${i}]: ${problem}` };
    const e = item as Record<string, unknown>;
    return {
      space: e.space as MetadataSpace,
      key: e.key as string,
      value: (e.value ?? null) as MetadataEntry["value"],
      version: e.version as number,
      writer: e.writer as string,
    };
  });
}
