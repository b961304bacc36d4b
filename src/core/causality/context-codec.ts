/**
 * The causal context a client carries between a read and a write (the X-Ringkv-Context
 * header). Format: base64url without padding of (format version byte 0x01 ++ MessagePack array
 * [actor, counter, actor, counter, ...]). The flat array keeps a 3-actor context near 40 chars.
 * The header comes from outside, so decoding treats it as hostile: every problem is a
 * BadContextError, work is bounded by the length limit, and nothing is trusted before it is checked.
 */
import { Packr } from "msgpackr";
import { BadContextError } from "../../errors.js";
import type { VersionVector } from "./dvvset.js";
import { actorIdProblem, counterProblem, versionVectorProblem } from "./invariants.js";

export interface ContextLimits {
  encodedLengthMax: number; // header characters; a longer header is refused before decoding
  actorsMax: number; // entries in the vector; bounded by the cluster size in practice
}

export const defaultContextLimits: ContextLimits = { encodedLengthMax: 8192, actorsMax: 256 };

const contextFormatVersion = 0x01;

// Standard MessagePack only: no records, no structured clone, plain arrays, numbers not bigints.
const msgpack = new Packr({
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  mapsAsObjects: false,
  bundleStrings: false,
  int64AsType: "number",
});

const base64urlUnpadded = /^[A-Za-z0-9_-]+$/;

export function encodeContext(vv: VersionVector): string {
  const problem = versionVectorProblem(vv);
  if (problem !== undefined) throw new Error(`cannot encode an invalid version vector: ${problem}`);
  const body: Uint8Array = msgpack.pack(vv.flat());
  const bytes = Buffer.allocUnsafe(body.length + 1);
  bytes[0] = contextFormatVersion;
  bytes.set(body, 1);
  return bytes.toString("base64url");
}

export function decodeContext(header: string, limits: ContextLimits = defaultContextLimits): VersionVector {
  if (typeof header !== "string" || header.length === 0) throw bad("context is empty");
  if (header.length > limits.encodedLengthMax) {
    throw bad(`context is ${header.length} characters, the limit is ${limits.encodedLengthMax}`);
  }
  if (!base64urlUnpadded.test(header)) throw bad("context is not unpadded base64url");
  const bytes = Buffer.from(header, "base64url");
  // Node's decoder ignores stray trailing bits; requiring the canonical spelling gives every
  // context exactly one header, so a mangled header cannot pass as a different one.
  if (bytes.toString("base64url") !== header) throw bad("context is not canonical base64url");
  if (bytes[0] !== contextFormatVersion) {
    throw bad(
      `context format version ${String(bytes[0])} is not supported (expected ${contextFormatVersion})`,
    );
  }
  const body = bytes.subarray(1);
  checkArrayHeader(body, limits);
  let flat: unknown;
  try {
    flat = msgpack.unpack(body);
  } catch (error) {
    // msgpackr throws plain Errors and, for deeply nested input, RangeError: all mean "not ours".
    throw bad("context is not valid MessagePack", error);
  }
  return toVersionVector(flat, limits);
}

/**
 * Reads the top-level array length before unpacking, so that a header claiming more actors
 * than allowed is refused without building anything.
 */
function checkArrayHeader(body: Uint8Array, limits: ContextLimits): void {
  const first = body[0];
  let length: number;
  if (first === undefined) throw bad("context has no body");
  if (first >= 0x90 && first <= 0x9f) length = first & 0x0f;
  else if (first === 0xdc && body.length >= 3) length = ((body[1] as number) << 8) | (body[2] as number);
  else if (first === 0xdd && body.length >= 5) {
    length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
  } else throw bad("context is not a MessagePack array");
  if (length % 2 !== 0) throw bad("context array does not hold [actor, counter] pairs");
  if (length / 2 > limits.actorsMax) {
    throw bad(`context has ${length / 2} actors, the limit is ${limits.actorsMax}`);
  }
}

function toVersionVector(flat: unknown, limits: ContextLimits): VersionVector {
  if (!Array.isArray(flat)) throw bad("context is not an array");
  if (flat.length % 2 !== 0) throw bad("context array does not hold [actor, counter] pairs");
  if (flat.length / 2 > limits.actorsMax) {
    throw bad(`context has ${flat.length / 2} actors, the limit is ${limits.actorsMax}`);
  }
  const vv: (readonly [string, number])[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const actor: unknown = flat[i];
    const counter: unknown = flat[i + 1];
    const problem = actorIdProblem(actor) ?? counterProblem(counter);
    if (problem !== undefined) throw bad(`context entry ${i / 2}: ${problem}`);
    const previous = vv[vv.length - 1];
    if (previous !== undefined && !(previous[0] < (actor as string))) {
      throw bad(`context actors are not sorted and unique at entry ${i / 2}`);
    }
    vv.push([actor as string, counter as number]);
  }
  return vv;
}

function bad(message: string, cause?: unknown): BadContextError {
  return new BadContextError(message, cause === undefined ? undefined : { cause });
}
