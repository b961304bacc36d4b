/**
 * What one key holds on a replica: a DVV set of siblings, and its on-disk / on-wire encoding.
 * Format: format version byte 0x01 ++ MessagePack
 *   [[actor, counter, [[value (bin), contentType, deleted, writtenAtMs, expiresAtMs?], ...]], ...]
 * `expiresAtMs` (expiry, TTL) is an optional trailing element: a sibling without a deadline is
 * encoded as the 4-tuple every earlier version wrote, so objects already on disk still decode.
 * Positional arrays rather than maps keep per-sibling overhead to a few bytes, and values are
 * raw MessagePack bin so a 1 MiB value costs 1 MiB plus 5 bytes.
 */
import { Packr } from "msgpackr";
import type { DvvEntry, DvvSet } from "./causality/index.js";
import { dvvSetProblem } from "./causality/invariants.js";
import { PEER_COUNTER_MAX } from "./counter-ceiling.js";

export interface Sibling {
  readonly value: Uint8Array;
  readonly contentType: string;
  readonly deleted: boolean;
  readonly writtenAtMs: number;
  /**
   * The version's expiry deadline (epoch ms by the clock of the node that took the write): from
   * then on it reads as deleted (core/expiry.ts). Absent: it never expires.
   */
  readonly expiresAtMs?: number;
}

/** A tombstone is a Sibling with deleted: true, a value of 0 bytes and contentType "". */
export type StoredObject = DvvSet<Sibling>;

/** Bytes that do not decode to a well-formed StoredObject: a bug or on-disk corruption. */
export class CorruptObjectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CorruptObjectError";
  }
}

const storedObjectFormatVersion = 0x01;

// Standard MessagePack only; copyBuffers is off: values are views into the bytes decoded.
const msgpack = new Packr({
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  mapsAsObjects: false,
  bundleStrings: false,
  copyBuffers: false,
  int64AsType: "number",
});

/**
 * Each object's encoding, made once: a write encodes its new version for the local commit and
 * again for every replica it is sent to, and a replica that receives a key it does not hold
 * stores the bytes it received. Objects are immutable, so an encoding never goes stale; the map
 * holds nothing once its object is unreachable.
 */
const encodings = new WeakMap<StoredObject, Uint8Array>();

/** The object's encoding. The bytes may be shared with other callers: they must not be changed. */
export function encodeStoredObject(o: StoredObject): Uint8Array {
  const known = encodings.get(o);
  if (known !== undefined) return known;
  const problem = dvvSetProblem(o) ?? siblingsProblem(o);
  if (problem !== undefined) throw new Error(`cannot encode an invalid stored object: ${problem}`);
  const body: Uint8Array = msgpack.pack(
    o.entries.map((e) => [
      e.actor,
      e.counter,
      e.values.map((s) =>
        s.expiresAtMs === undefined
          ? [s.value, s.contentType, s.deleted, s.writtenAtMs]
          : [s.value, s.contentType, s.deleted, s.writtenAtMs, s.expiresAtMs],
      ),
    ]),
  );
  const bytes = new Uint8Array(body.length + 1);
  bytes[0] = storedObjectFormatVersion;
  bytes.set(body, 1);
  encodings.set(o, bytes);
  return bytes;
}

/**
 * Decodes an object. Its sibling values are views into `bytes`, not copies: the caller hands over
 * bytes it owns and never changes (storage engines return copies; a message's payload is its
 * own buffer), which saves copying every value again on every read and replica write.
 */
export function decodeStoredObject(bytes: Uint8Array): StoredObject {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2)
    throw new CorruptObjectError("stored object is too short");
  if (bytes[0] !== storedObjectFormatVersion) {
    throw new CorruptObjectError(`stored object format version ${String(bytes[0])} is not supported`);
  }
  let raw: unknown;
  try {
    raw = msgpack.unpack(bytes.subarray(1));
  } catch (error) {
    throw new CorruptObjectError("stored object is not valid MessagePack", { cause: error });
  }
  if (!Array.isArray(raw)) throw new CorruptObjectError("stored object is not an array of entries");
  const entries = raw.map((entry: unknown, i) => toEntry(entry, i));
  const o: StoredObject = { entries };
  const problem = dvvSetProblem(o);
  if (problem !== undefined) throw new CorruptObjectError(`stored object is malformed: ${problem}`);
  encodings.set(o, bytes);
  return o;
}

/**
 * An object that arrived from a peer (replication, a hint, a transfer, anti-entropy): decoded as
 * from disk, and refused if a counter exceeds PEER_COUNTER_MAX, so no peer can push an actor's
 * counter to where it can no longer grow.
 */
export function decodePeerObject(bytes: Uint8Array): StoredObject {
  const o = decodeStoredObject(bytes);
  const high = o.entries.find((e) => e.counter > PEER_COUNTER_MAX);
  if (high !== undefined) {
    throw new CorruptObjectError(
      `counter ${high.counter} of actor ${JSON.stringify(high.actor.slice(0, 64))} exceeds ${PEER_COUNTER_MAX}`,
    );
  }
  return o;
}

function toEntry(entry: unknown, index: number): DvvEntry<Sibling> {
  if (!Array.isArray(entry) || entry.length !== 3 || !Array.isArray(entry[2])) {
    throw new CorruptObjectError(`stored object entry ${index} is not [actor, counter, siblings]`);
  }
  const [actor, counter, siblings] = entry as [unknown, unknown, unknown[]];
  // Actor and counter types are checked by dvvSetProblem once the whole object is built.
  return { actor: actor as string, counter: counter as number, values: siblings.map(toSibling) };
}

function toSibling(raw: unknown): Sibling {
  if (!Array.isArray(raw) || (raw.length !== 4 && raw.length !== 5))
    throw new CorruptObjectError("sibling is not a 4- or 5-tuple");
  const [value, contentType, deleted, writtenAtMs, expiresAtMs] = raw as unknown[];
  if (!(value instanceof Uint8Array)) throw new CorruptObjectError("sibling value is not binary");
  if (typeof contentType !== "string") throw new CorruptObjectError("sibling content type is not a string");
  if (typeof deleted !== "boolean") throw new CorruptObjectError("sibling deleted flag is not a boolean");
  if (typeof writtenAtMs !== "number" || !Number.isFinite(writtenAtMs)) {
    throw new CorruptObjectError("sibling write time is not a finite number");
  }
  // msgpackr returns a Buffer view into the input; a plain Uint8Array view of the same bytes
  // keeps values one type whatever decoded them, without a copy.
  const view = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (raw.length === 5 && (typeof expiresAtMs !== "number" || !Number.isFinite(expiresAtMs))) {
    throw new CorruptObjectError("sibling expiry deadline is not a finite number");
  }
  const sibling: Sibling =
    raw.length === 5
      ? { value: view, contentType, deleted, writtenAtMs, expiresAtMs: expiresAtMs as number }
      : { value: view, contentType, deleted, writtenAtMs };
  const problem = siblingProblem(sibling);
  if (problem !== undefined) throw new CorruptObjectError(problem);
  return sibling;
}

function siblingsProblem(o: StoredObject): string | undefined {
  for (const e of o.entries) {
    for (const s of e.values) {
      const problem = siblingProblem(s);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/**
 * What an HTTP header value may hold (tab, visible ASCII, space, obs-text): a stored content type
 * is sent back as a header, and one with a newline or another control character would make the
 * response unwritable, so no such object is accepted from anyone.
 */
export const HEADER_SAFE_PATTERN = /^[\t\x20-\x7e\x80-\xff]*$/;

function siblingProblem(s: Sibling): string | undefined {
  if (!(s.value instanceof Uint8Array)) return "sibling value is not a Uint8Array";
  if (typeof s.contentType !== "string") return "sibling content type is not a string";
  if (!HEADER_SAFE_PATTERN.test(s.contentType)) return "sibling content type is not a valid header value";
  if (typeof s.deleted !== "boolean") return "sibling deleted flag is not a boolean";
  if (typeof s.writtenAtMs !== "number" || !Number.isFinite(s.writtenAtMs)) {
    return "sibling write time is not a finite number";
  }
  if (s.expiresAtMs !== undefined && (typeof s.expiresAtMs !== "number" || !Number.isFinite(s.expiresAtMs))) {
    return "sibling expiry deadline is not a finite number";
  }
  if (s.deleted && (s.value.length !== 0 || s.contentType !== "")) {
    return "a tombstone must have an empty value and content type";
  }
  return undefined;
}

/** The values a read returns: siblings that are not tombstones. */
export function liveSiblings(o: StoredObject): Sibling[] {
  const live: Sibling[] = [];
  for (const e of o.entries) for (const s of e.values) if (!s.deleted) live.push(s);
  return live;
}

/** True when the key has values and all of them are tombstones: it reads as not found. */
export function isTombstoneOnly(o: StoredObject): boolean {
  let sawValue = false;
  for (const e of o.entries) {
    for (const s of e.values) {
      if (!s.deleted) return false;
      sawValue = true;
    }
  }
  return sawValue;
}

export function tombstone(writtenAtMs: number): Sibling {
  return { value: new Uint8Array(0), contentType: "", deleted: true, writtenAtMs };
}
