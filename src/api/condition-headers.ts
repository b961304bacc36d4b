import { decodeContext, type VersionVector } from "../core/causality/index.js";
import { sameContext, type WriteCondition } from "../core/write-condition.js";
import { BadContextError, BadRequestError } from "../errors.js";
import type { ApiRequest } from "./api-request.js";

export const IF_NONE_MATCH_HEADER = "if-none-match";
export const IF_MATCH_HEADER = "if-match";

/**
 * The condition of a PUT or DELETE (API.md "Conditional writes"), or undefined for a plain one.
 * `context` is the request's X-Ringkv-Context, which a condition must not contradict: the
 * conditional write uses the context its own check found. Anything the contract does not name
 * (If-None-Match other than `*`, If-Match that is no context, both at once) is a 400, so a
 * mistyped condition never silently becomes an unconditional write.
 */
export function writeCondition(
  req: ApiRequest,
  method: "PUT" | "DELETE",
  context: VersionVector | undefined,
  contextBytesMax: number,
): WriteCondition | undefined {
  const ifNoneMatch = req.headers[IF_NONE_MATCH_HEADER];
  const ifMatch = req.headers[IF_MATCH_HEADER];
  if (ifNoneMatch !== undefined && ifMatch !== undefined)
    throw new BadRequestError("give If-None-Match or If-Match, not both");
  if (ifNoneMatch !== undefined) return noneLive(ifNoneMatch, method, context);
  if (ifMatch !== undefined) return contextMatches(ifMatch, context, contextBytesMax);
  return undefined;
}

function noneLive(
  header: string,
  method: "PUT" | "DELETE",
  context: VersionVector | undefined,
): WriteCondition {
  if (method !== "PUT") throw new BadRequestError("If-None-Match applies to PUT only");
  if (header.trim() !== "*")
    throw new BadRequestError(`If-None-Match supports only "*" (create only), got ${quoted(header)}`);
  if (context !== undefined)
    throw new BadRequestError(
      "If-None-Match: * writes with the context its own read finds; send no X-Ringkv-Context with it",
    );
  return { kind: "none-live" };
}

function contextMatches(
  header: string,
  context: VersionVector | undefined,
  contextBytesMax: number,
): WriteCondition {
  const text = header.trim();
  if (text === "*") throw new BadRequestError('If-Match takes a context from a read; "*" is not supported');
  let expected: VersionVector;
  try {
    expected = decodeContext(text, { encodedLengthMax: contextBytesMax, actorsMax: 256 });
  } catch (error) {
    if (error instanceof BadContextError) throw new BadContextError(`If-Match: ${error.message}`);
    throw error;
  }
  if (context !== undefined && !sameContext(context, expected))
    throw new BadRequestError("If-Match and X-Ringkv-Context name different contexts");
  return { kind: "context-matches", context: expected };
}

/** A header value for an error message, cut short: it came from outside. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}
