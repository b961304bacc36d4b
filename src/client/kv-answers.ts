import { answerError, type HttpAnswer } from "./http-exchange.js";

export const CONTEXT_HEADER = "x-ringkv-context";
export const RING_VERSION_HEADER = "x-ringkv-ring-version";
export const SIBLINGS_HEADER = "x-ringkv-siblings";
export const EXPIRES_AT_HEADER = "x-ringkv-expires-at";

export interface Sibling {
  value: Uint8Array;
  contentType: string;
  /** When the version expires (epoch ms), if it was written with a ttl. */
  expiresAtMs?: number;
}

export type GetResult =
  | { status: 200; context: string; value: Uint8Array; contentType: string; expiresAtMs?: number }
  | { status: 300; context: string; siblings: Sibling[] }
  | { status: 404; context: string | undefined };

/** What a write left: the new context, and how many live versions the key now has (over 1: a concurrent writer). */
export interface PutResult {
  context: string;
  siblings: number;
}

export interface QuorumParams {
  /** The key's namespace (API.md "Namespaces"); absent: the client's `ns`, else `default`. */
  ns?: string;
  r?: number | "one" | "quorum" | "all";
  w?: number | "one" | "quorum" | "all";
  /** Home replicas (not fallbacks) that must answer a read / acknowledge a write. */
  pr?: number | "one" | "quorum" | "all";
  pw?: number | "one" | "quorum" | "all";
  timeoutMs?: number;
}

export interface PutOptions extends QuorumParams {
  context?: string;
  contentType?: string;
  /** Expiry: the version reads as deleted this many seconds after the write (`ttl_s`, 1..10 years). */
  ttlS?: number;
  /** Create only: stored only if a read at `r` finds no live value, else a PreconditionFailedError. */
  ifNoneMatch?: boolean;
  /** Stored only if the key's current context (read at `r`) is exactly this one, else a PreconditionFailedError. */
  ifMatch?: string;
}

export interface DeleteOptions extends QuorumParams {
  context?: string;
  /** Deleted only if the key's current context (read at `r`) is exactly this one, else a PreconditionFailedError. */
  ifMatch?: string;
}

function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function ringVersionOf(answer: HttpAnswer): number | undefined {
  const text = header(answer, RING_VERSION_HEADER);
  const version = text === undefined ? Number.NaN : Number(text);
  return Number.isSafeInteger(version) ? version : undefined;
}

export function kvPath(key: string | Uint8Array, params: QuorumParams & { ttlS?: number }): string {
  const text = typeof key === "string" ? key : Buffer.from(key).toString("utf8");
  const query = new URLSearchParams();
  if (params.r !== undefined) query.set("r", String(params.r));
  if (params.w !== undefined) query.set("w", String(params.w));
  if (params.pr !== undefined) query.set("pr", String(params.pr));
  if (params.pw !== undefined) query.set("pw", String(params.pw));
  if (params.timeoutMs !== undefined) query.set("timeout_ms", String(params.timeoutMs));
  if (params.ttlS !== undefined) query.set("ttl_s", String(params.ttlS));
  const qs = query.toString();
  const ns = params.ns === undefined || params.ns === "default" ? "" : `${encodeURIComponent(params.ns)}/`;
  return `/kv/${ns}${encodeURIComponent(text)}${qs === "" ? "" : `?${qs}`}`;
}

export function putHeaders(options: PutOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.context !== undefined) headers[CONTEXT_HEADER] = options.context;
  if (options.contentType !== undefined) headers["content-type"] = options.contentType;
  if (options.ifNoneMatch === true) headers["if-none-match"] = "*";
  if (options.ifMatch !== undefined) headers["if-match"] = options.ifMatch;
  return headers;
}

export function getResult(answer: HttpAnswer): GetResult {
  const context = header(answer, CONTEXT_HEADER);
  if (answer.status === 404) return { status: 404, context };
  if (answer.status === 200) {
    const expiresAtMs = Number(header(answer, EXPIRES_AT_HEADER) ?? Number.NaN);
    return {
      status: 200,
      context: context ?? "",
      value: new Uint8Array(answer.body.buffer, answer.body.byteOffset, answer.body.length),
      contentType: header(answer, "content-type") ?? "",
      ...(Number.isSafeInteger(expiresAtMs) ? { expiresAtMs } : {}),
    };
  }
  if (answer.status === 300) {
    const body = JSON.parse(answer.body.toString("utf8")) as {
      context: string;
      siblings: { value: string; contentType: string; expiresAtMs?: number }[];
    };
    const siblings = body.siblings.map((s) => ({
      value: new Uint8Array(Buffer.from(s.value, "base64")),
      contentType: s.contentType,
      ...(typeof s.expiresAtMs === "number" ? { expiresAtMs: s.expiresAtMs } : {}),
    }));
    return { status: 300, context: body.context, siblings };
  }
  throw answerError(answer);
}

export function putResult(answer: HttpAnswer): PutResult {
  if (answer.status !== 204) throw answerError(answer);
  const siblings = Number(header(answer, SIBLINGS_HEADER) ?? "1");
  return {
    context: header(answer, CONTEXT_HEADER) ?? "",
    siblings: Number.isSafeInteger(siblings) ? siblings : 1,
  };
}

export function deleteResult(answer: HttpAnswer): string | undefined {
  if (answer.status !== 204) throw answerError(answer);
  return header(answer, CONTEXT_HEADER);
}
