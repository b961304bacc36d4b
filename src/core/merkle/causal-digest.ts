/**
 * The causal digest of a stored object: 16 bytes that two replicas compare instead of the object.
 * It is SHA-256, truncated, of a canonical encoding of everything the object holds: each
 * entry's actor and counter (so the version vector, join()), the number of values per entry (so
 * every sibling's dot, which is (actor, counter - i)), and each sibling's flags, write time,
 * content type and value bytes.
 *
 * Values are hashed too, not just dots, although unique dots imply equal values: a replica that
 * lost its disk and came back under the same actor id reissues dots, and anti-entropy is where
 * that divergence becomes visible instead of staying silent.
 *
 * The encoding is fixed (big-endian, length-prefixed, entries in the DVV set's sorted order), so
 * every node computes the same digest for the same object; changing it makes every key of a
 * mixed-version cluster look different, so test/unit/merkle pins it with a known answer.
 */
import { createHash, hash as oneShotHash } from "node:crypto";
import { actorIdBytesMax } from "../causality/index.js";
import type { StoredObject } from "../stored-object.js";

/** 128 bits: a collision between two different histories of one key is not a practical concern. */
export const causalDigestBytes = 16;

// Domain separation: a digest of this encoding never equals a digest of any future format.
const digestFormatVersion = 0x01;

// Objects whose encoding fits here are hashed in one call; larger values are streamed so a
// 1 MiB value is never copied. One call saves the cost of a Hash object (about 0.5 us).
const oneShotBytesMax = 16 * 1024;

// Reused across calls: causalDigest runs on every write, and it is synchronous, so no two calls
// ever share the buffer at the same time. Never smaller than oneShotBytesMax.
let scratch = Buffer.allocUnsafe(oneShotBytesMax);

export function causalDigest(object: StoredObject): Uint8Array {
  const headerBytes = encodeHeader(object);
  let valueBytes = 0;
  for (const e of object.entries) for (const s of e.values) valueBytes += s.value.length;

  if (headerBytes + valueBytes <= oneShotBytesMax) {
    let offset = headerBytes;
    for (const e of object.entries) {
      for (const s of e.values) {
        scratch.set(s.value, offset);
        offset += s.value.length;
      }
    }
    return truncate(oneShotHash("sha256", scratch.subarray(0, offset), "buffer"));
  }
  const hasher = createHash("sha256").update(scratch.subarray(0, headerBytes));
  for (const e of object.entries) for (const s of e.values) if (s.value.length > 0) hasher.update(s.value);
  return truncate(hasher.digest());
}

function truncate(digest: Buffer): Uint8Array {
  // A copy, not a view: the digest is kept (in messages, in tests) and a view would pin a pooled buffer.
  return new Uint8Array(digest.subarray(0, causalDigestBytes));
}

/**
 * Writes everything but the value bytes into `scratch` and returns its length. The value
 * lengths are in the header, so header ++ values is an unambiguous encoding of the object.
 */
function encodeHeader(object: StoredObject): number {
  ensureScratch(headerBytesBound(object));
  let offset = scratch.writeUInt8(digestFormatVersion, 0);
  offset = scratch.writeUInt32BE(object.entries.length, offset);
  for (const e of object.entries) {
    const actorBytes = scratch.write(e.actor, offset + 1, "utf8");
    if (actorBytes > actorIdBytesMax) throw new Error(`actor id of ${actorBytes} bytes is too long`);
    offset = scratch.writeUInt8(actorBytes, offset) + actorBytes;
    offset = scratch.writeDoubleBE(e.counter, offset);
    offset = scratch.writeUInt32BE(e.values.length, offset);
    for (const s of e.values) {
      offset = scratch.writeUInt8(s.deleted ? 1 : 0, offset);
      // -0 and 0 are the same write time (===); only the bit patterns differ.
      offset = scratch.writeDoubleBE(s.writtenAtMs === 0 ? 0 : s.writtenAtMs, offset);
      const typeBytes = scratch.write(s.contentType, offset + 4, "utf8");
      offset = scratch.writeUInt32BE(typeBytes, offset) + typeBytes;
      offset = scratch.writeUInt32BE(s.value.length, offset);
    }
  }
  return offset;
}

/** An upper bound on the header: a UTF-16 code unit takes at most 3 UTF-8 bytes. */
function headerBytesBound(object: StoredObject): number {
  let bytes = 1 + 4;
  for (const e of object.entries) {
    bytes += 1 + e.actor.length * 3 + 8 + 4;
    for (const s of e.values) bytes += 1 + 8 + 4 + s.contentType.length * 3 + 4;
  }
  return bytes;
}

function ensureScratch(bytes: number): void {
  if (bytes > scratch.length) scratch = Buffer.allocUnsafe(Math.max(bytes, scratch.length * 2));
}
