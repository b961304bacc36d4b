/**
 * Structural checks shared by the DVV set, the context codec and the stored-object codec.
 * Each returns a description of the first problem found, or undefined when the value is
 * well formed, so that each caller can raise the error its layer calls for: a BadContextError
 * for a client's header, a CorruptObjectError for bytes from disk, a plain Error for a bug.
 */

/** An actor id is a node's name; 255 UTF-8 bytes is plenty and bounds every context entry. */
export const actorIdBytesMax = 255;

// With the `u` flag a surrogate pair is one code point, so this matches only lone surrogates,
// which UTF-8 cannot carry and which would therefore not survive an encode/decode round trip.
const loneSurrogate = /[\uD800-\uDFFF]/u;

export function actorIdProblem(actor: unknown): string | undefined {
  if (typeof actor !== "string") return `actor id is a ${typeof actor}, not a string`;
  if (actor.length === 0) return "actor id is empty";
  // A UTF-16 unit needs at most 3 UTF-8 bytes, so only long strings need the exact count.
  if (actor.length * 3 > actorIdBytesMax && Buffer.byteLength(actor, "utf8") > actorIdBytesMax) {
    return `actor id is longer than ${actorIdBytesMax} UTF-8 bytes`;
  }
  if (loneSurrogate.test(actor)) return "actor id is not well-formed Unicode";
  return undefined;
}

export function counterProblem(counter: unknown): string | undefined {
  if (typeof counter !== "number" || !Number.isSafeInteger(counter) || counter < 1) {
    return `counter ${String(counter)} is not a safe integer >= 1`;
  }
  return undefined;
}

/** Checks that actors are sorted (plain string `<`) without duplicates, and each counter is valid. */
export function versionVectorProblem(vv: unknown): string | undefined {
  if (!Array.isArray(vv)) return "version vector is not an array";
  let previous: string | undefined;
  for (const pair of vv) {
    if (!Array.isArray(pair) || pair.length !== 2)
      return "version vector entry is not an [actor, counter] pair";
    const [actor, counter] = pair;
    const problem = actorIdProblem(actor) ?? counterProblem(counter) ?? orderProblem(previous, actor);
    if (problem !== undefined) return problem;
    previous = actor;
  }
  return undefined;
}

/** Checks the DVV set shape; values themselves are opaque here. */
export function dvvSetProblem(set: unknown): string | undefined {
  if (typeof set !== "object" || set === null) return "DVV set is not an object";
  const entries: unknown = (set as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) return "DVV set entries is not an array";
  let previous: string | undefined;
  for (const entry of entries) {
    if (typeof entry !== "object" || entry === null) return "DVV entry is not an object";
    const { actor, counter, values } = entry as { actor?: unknown; counter?: unknown; values?: unknown };
    const problem = actorIdProblem(actor) ?? counterProblem(counter) ?? orderProblem(previous, actor);
    if (problem !== undefined) return problem;
    if (!Array.isArray(values)) return `values of actor ${String(actor)} is not an array`;
    // values[i] belongs to dot (actor, counter - i), and dots start at 1.
    if (values.length > (counter as number)) {
      return `actor ${String(actor)} holds ${values.length} values but its counter is only ${String(counter)}`;
    }
    previous = actor as string;
  }
  return undefined;
}

function orderProblem(previous: string | undefined, actor: unknown): string | undefined {
  if (previous !== undefined && !(previous < (actor as string))) {
    return `actors are not strictly increasing: ${JSON.stringify(previous)} then ${JSON.stringify(actor)}`;
  }
  return undefined;
}
