import assert from "node:assert/strict";
import { decodeKey, encodeKey, namespaceRange } from "../core/namespace/index.js";
import { BadRequestError } from "../errors.js";
import type { ListPage, ListPageRequest } from "../listing/index.js";
import type { ApiNode } from "./interface.js";
import { keyText } from "./key-segment.js";
import { decodeNamespaceSegment } from "./kv-routes.js";
import { parseInteger, parseQuorum } from "./query-params.js";
import { jsonReply, type Reply } from "./reply.js";
import type { RequestContext, Route } from "./router.js";

/** A page holds at most this many keys (API.md "Listing keys"); 1000 when the client does not say. */
export const LIST_LIMIT_MAX = 10_000;
export const LIST_LIMIT_DEFAULT = 1000;
const KNOWN_PARAMS = new Set(["prefix", "limit", "after", "r", "timeout_ms"]);

/** What listing needs of the node it runs on. */
export interface ListingNode extends ApiNode {
  listKeys(request: ListPageRequest): Promise<ListPage>;
}

/** `GET /keys/{ns}` and `GET /keys` (namespace `default`): a page of live keys in UTF-8 byte order. */
export function listRoutes(node: ListingNode): Route[] {
  return [
    { name: "keys", pattern: ["keys"], methods: { GET: (ctx) => listPage(node, ctx, "default") } },
    {
      name: "keys",
      pattern: ["keys", ":ns"],
      methods: { GET: (ctx) => listPage(node, ctx, decodeNamespaceSegment(ctx.params[0] ?? "")) },
    },
  ];
}

async function listPage(node: ListingNode, ctx: RequestContext, namespace: string): Promise<Reply> {
  const params = new URLSearchParams(ctx.query);
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (!KNOWN_PARAMS.has(name)) {
      throw new BadRequestError(
        `unknown query parameter "${name.slice(0, 40)}"; known: ${[...KNOWN_PARAMS].join(", ")}`,
      );
    }
    if (seen.has(name)) throw new BadRequestError(`query parameter "${name}" is given more than once`);
    seen.add(name);
  }
  const keyBytesMax = node.limits.keyBytesMax;
  const properties = node.namespaces().properties(namespace);
  // The namespace's keys live on its n home replicas: the coverage plan picks among those.
  const n = properties.n ?? node.settings.n;
  const prefix = keyParam(params.get("prefix"), "prefix", keyBytesMax) ?? new Uint8Array(0);
  const after = keyParam(params.get("after"), "after", keyBytesMax);
  const limitText = params.get("limit");
  const rText = params.get("r");
  const timeoutText = params.get("timeout_ms");
  const page = await node.listKeys({
    range: namespaceRange(namespace, prefix),
    after: after === undefined ? undefined : encodeKey(namespace, after),
    limit: limitText === null ? LIST_LIMIT_DEFAULT : parseInteger("limit", limitText, 1, LIST_LIMIT_MAX),
    // A listing reads like a read of the namespace: its own r unless the request sets one.
    r: rText === null ? (properties.r ?? Math.min(node.settings.r, n)) : parseQuorum("r", rText, n),
    n,
    timeoutMs:
      timeoutText === null
        ? node.limits.timeoutMsDefault
        : parseInteger("timeout_ms", timeoutText, 1, node.limits.timeoutMsMax),
  });
  const keys = page.keys.map((k) => keyText(userKeyOf(namespace, k)));
  const next = page.next === null ? null : keyText(userKeyOf(namespace, page.next));
  return jsonReply(200, { keys, next });
}

/** The user key of a stored key the listing found in `namespace`'s range. */
function userKeyOf(namespace: string, stored: Uint8Array): Uint8Array {
  const decoded = decodeKey(stored);
  // The range holds only this namespace's keys (core/namespace); anything else is a bug.
  assert(decoded !== undefined && decoded.namespace === namespace, "a listed key outside its namespace");
  return decoded.key;
}

/**
 * `prefix` and `after` are user keys (URL query encoding, UTF-8; URLSearchParams decodes a bad
 * escape as U+FFFD, so the text is always well formed), bounded like keys; empty is absent.
 */
function keyParam(text: string | null, name: string, keyBytesMax: number): Uint8Array | undefined {
  if (text === null || text === "") return undefined;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > keyBytesMax) throw new BadRequestError(`${name} is longer than ${keyBytesMax} bytes`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
