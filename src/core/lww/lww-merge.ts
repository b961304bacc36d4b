/**
 * Last-write-wins versions (the `lww` conflict mode). A key holds exactly one version, a value or
 * a tombstone, stamped by its coordinator with a hybrid logical clock; every merge keeps the
 * version with the highest stamp, so concurrent writes never become siblings and all but one of
 * them are lost (the trade-off Riak's and Cassandra's LWW make).
 *
 * The version is stored in the ordinary StoredObject shape, so storage, the wire format and the
 * Merkle digests are the same code in both modes: one DVV entry whose actor is the coordinator's
 * actor, whose counter is the stamp's logical part plus one, and whose single sibling's
 * `writtenAtMs` is the stamp's physical part. The context a client gets back is that entry's
 * (actor, counter), opaque as always.
 */
import type { ActorId } from "../causality/index.js";
import type { Sibling, StoredObject } from "../stored-object.js";
import { compareHlcStamps, type HlcStamp } from "./hybrid-logical-clock.js";

/** A hybrid logical clock stamp plus the coordinator's actor, the deterministic tie-break. */
export interface LwwStamp extends HlcStamp {
  readonly actor: ActorId;
}

export interface LwwVersion {
  readonly stamp: LwwStamp;
  readonly sibling: Sibling;
}

const emptyObject: StoredObject = Object.freeze({ entries: Object.freeze([]) });

/** The stored form of one version. */
export function lwwObject(stamp: LwwStamp, sibling: Sibling): StoredObject {
  return {
    entries: [
      { actor: stamp.actor, counter: stamp.logical + 1, values: [{ ...sibling, writtenAtMs: stamp.wallMs }] },
    ],
  };
}

/**
 * The version of an object that wins, or undefined when it holds none. An object written in lww
 * mode holds exactly one; any other shape is read as the set of its versions (values[i] of an
 * entry carries the stamp (writtenAtMs, counter - 1 - i, actor)), so the merge is total.
 */
export function lwwWinner(o: StoredObject): LwwVersion | undefined {
  let best: LwwVersion | undefined;
  for (const e of o.entries) {
    e.values.forEach((sibling, i) => {
      const candidate = {
        stamp: { wallMs: sibling.writtenAtMs, logical: e.counter - 1 - i, actor: e.actor },
        sibling,
      };
      if (best === undefined || compareLwwVersions(candidate, best) > 0) best = candidate;
    });
  }
  return best;
}

/**
 * Orders versions by stamp (physical, logical, then actor). Two different versions with one
 * stamp cannot come from a correct node; ordering them by content anyway keeps the merge a
 * deterministic function of its inputs on every replica.
 */
export function compareLwwVersions(a: LwwVersion, b: LwwVersion): number {
  const byClock = compareHlcStamps(a.stamp, b.stamp);
  if (byClock !== 0) return byClock;
  if (a.stamp.actor !== b.stamp.actor) return a.stamp.actor < b.stamp.actor ? -1 : 1;
  return compareContent(a.sibling, b.sibling);
}

function compareContent(a: Sibling, b: Sibling): number {
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  if (a.contentType !== b.contentType) return a.contentType < b.contentType ? -1 : 1;
  return Buffer.compare(Buffer.from(a.value.buffer, a.value.byteOffset, a.value.byteLength), b.value);
}

/** Keeps the version with the highest stamp. Commutative, associative and idempotent. */
export function lwwMerge(a: StoredObject, b: StoredObject): StoredObject {
  const wa = lwwWinner(a);
  const wb = lwwWinner(b);
  if (wa === undefined) return wb === undefined ? emptyObject : normalized(b, wb);
  if (wb === undefined || compareLwwVersions(wa, wb) >= 0) return normalized(a, wa);
  return normalized(b, wb);
}

/** Whether two objects hold the same winning version: nothing to repair between them. */
export function lwwSame(a: StoredObject, b: StoredObject): boolean {
  const wa = lwwWinner(a);
  const wb = lwwWinner(b);
  if (wa === undefined || wb === undefined) return wa === wb;
  return compareLwwVersions(wa, wb) === 0 && isNormal(a) === isNormal(b);
}

/** `o` itself when it already is its winner's stored form (the usual case), else that form. */
function normalized(o: StoredObject, winner: LwwVersion): StoredObject {
  return isNormal(o) ? o : lwwObject(winner.stamp, winner.sibling);
}

function isNormal(o: StoredObject): boolean {
  return o.entries.length === 1 && o.entries[0]?.values.length === 1;
}
