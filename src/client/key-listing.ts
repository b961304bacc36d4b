import { answerError, type HttpAnswer } from "./http-exchange.js";

/** What `client.keys()` lists: a namespace (`default` when absent) and a key prefix. */
export interface KeysOptions {
  ns?: string;
  prefix?: string;
  /** Keys per page asked of the node (1..10000; the node's default, 1000, when absent). */
  pageSize?: number;
  /** Home replicas asked per partition (see README, "Listing keys"). */
  r?: number | "one" | "quorum" | "all";
  timeoutMs?: number;
}

/** One page as the node answers it: keys in UTF-8 byte order, and the key to continue after (null at the end). */
export interface KeysPage {
  keys: string[];
  next: string | null;
}

export function keysPath(options: KeysOptions, after: string | undefined): string {
  const query = new URLSearchParams();
  if (options.prefix !== undefined && options.prefix !== "") query.set("prefix", options.prefix);
  if (options.pageSize !== undefined) query.set("limit", String(options.pageSize));
  if (after !== undefined) query.set("after", after);
  if (options.r !== undefined) query.set("r", String(options.r));
  if (options.timeoutMs !== undefined) query.set("timeout_ms", String(options.timeoutMs));
  const qs = query.toString();
  const ns = options.ns === undefined ? "" : `/${encodeURIComponent(options.ns)}`;
  return `/keys${ns}${qs === "" ? "" : `?${qs}`}`;
}

/** A 200 answer's page, checked: anything else is the node's error (or a bug), thrown as such. */
export function keysPage(answer: HttpAnswer): KeysPage {
  if (answer.status !== 200) throw answerError(answer);
  const body = JSON.parse(answer.body.toString("utf8")) as unknown;
  if (typeof body !== "object" || body === null) throw new Error("a listing answer is not a JSON object");
  const { keys, next } = body as { keys?: unknown; next?: unknown };
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string"))
    throw new Error("a listing answer has no keys array");
  if (next !== null && typeof next !== "string")
    throw new Error("a listing answer's next is neither a key nor null");
  return { keys: keys as string[], next };
}
