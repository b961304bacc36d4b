import type { RequestOptions } from "../coordinator/request-options.js";
import {
  DEFAULT_NAMESPACE,
  mergeProperties,
  type NamespaceProperties,
  namespaceRange,
  parsePropertyChange,
} from "../core/namespace/index.js";
import { BadRequestError, ConflictError } from "../errors.js";
import type { ListPage, ListPageRequest } from "../listing/index.js";
import type { ApiNode } from "./interface.js";
import { decodeNamespaceSegment } from "./kv-routes.js";
import { parseRequestOptions } from "./query-params.js";
import { readBody } from "./read-body.js";
import { jsonReply, type Reply } from "./reply.js";
import type { RequestContext, Route } from "./router.js";

/** `{"n": 3, "r": 2, "w": 2, "ttlSeconds": 86400, "maxSiblings": 100}` is well under this. */
const PROPERTIES_BODY_BYTES_MAX = 4096;

/** What the namespace routes need of the node: its API surface and the cluster-wide listing. */
export interface NamespaceNode extends ApiNode {
  listKeys(request: ListPageRequest): Promise<ListPage>;
}

/**
 * `GET /namespaces`, `GET /namespaces/{ns}` and `PUT /namespaces/{ns}` (API.md "Namespaces"). Admin
 * only (src/api/auth/policy.ts sends any route it does not name to admin). A change is stored in
 * the cluster metadata's `namespaces` space, which spreads it to every node.
 */
export function namespaceRoutes(node: NamespaceNode): Route[] {
  return [
    {
      name: "namespaces",
      pattern: ["namespaces"],
      methods: {
        GET: (ctx) => {
          checkQuery(node, ctx);
          const configured = new Map(node.namespaces().list());
          if (!configured.has(DEFAULT_NAMESPACE)) configured.set(DEFAULT_NAMESPACE, {});
          const namespaces = [...configured]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([name, properties]) => view(node, name, properties));
          return jsonReply(200, { namespaces });
        },
      },
    },
    {
      name: "namespaces",
      pattern: ["namespaces", ":ns"],
      methods: {
        GET: (ctx) => {
          checkQuery(node, ctx);
          const name = decodeNamespaceSegment(ctx.params[0] ?? "");
          return jsonReply(200, view(node, name, node.namespaces().properties(name)));
        },
        PUT: (ctx) => setProperties(node, ctx),
      },
    },
  ];
}

async function setProperties(node: NamespaceNode, ctx: RequestContext): Promise<Reply> {
  const { timeoutMs } = checkQuery(node, ctx);
  const name = decodeNamespaceSegment(ctx.params[0] ?? "");
  const change = parsePropertyChange(parseJson(await readBody(ctx.req, PROPERTIES_BODY_BYTES_MAX)));
  if (!change.ok) throw new BadRequestError(change.problem);
  const directory = node.namespaces();
  const merged = mergeProperties(directory.properties(name), change.properties, node.settings.n);
  if (!merged.ok) throw new BadRequestError(merged.problem);
  const n = change.properties.n;
  if (n !== undefined) {
    // Keys already placed on the first n of their preference lists would have to move: refused
    // while the namespace holds any (a cluster-wide look, not this node's disk alone).
    if (await holdsKeys(node, name, directory.properties(name).n ?? node.settings.n, timeoutMs))
      throw new ConflictError(`namespace ${name} holds keys: n may be set only while it holds none`);
  }
  await directory.set(name, merged.properties);
  return jsonReply(200, view(node, name, merged.properties));
}

/**
 * Whether any node holds a live key of the namespace: one key of a cluster-wide listing, asking
 * every home replica of each partition so a key acknowledged by a single replica is found too.
 */
async function holdsKeys(node: NamespaceNode, name: string, n: number, timeoutMs: number): Promise<boolean> {
  // Every home replica that exists: an n above the cluster's size has fewer.
  const nodes = new Set(node.ring().owners.flat()).size;
  const page = await node.listKeys({
    range: namespaceRange(name, new Uint8Array(0)),
    after: undefined,
    limit: 1,
    r: Math.max(1, Math.min(n, nodes)),
    n,
    timeoutMs,
  });
  return page.keys.length > 0;
}

/**
 * A namespace as clients see it: the values its requests run with (its own, else the cluster's;
 * `ttlSeconds` null when writes do not expire) and, under `configured`, what was set for it.
 * `maxSiblings` falls back to the answering node's --max-siblings.
 */
function view(node: ApiNode, name: string, properties: NamespaceProperties): Record<string, unknown> {
  const n = properties.n ?? node.settings.n;
  return {
    name,
    n,
    r: properties.r ?? Math.min(node.settings.r, n),
    w: properties.w ?? Math.min(node.settings.w, n),
    ttlSeconds: properties.ttlSeconds ?? null,
    maxSiblings: properties.maxSiblings ?? node.limits.siblingsMax,
    configured: properties,
  };
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new BadRequestError('the body must be JSON, e.g. {"r": 1, "ttlSeconds": 3600}');
  }
}

/** Every route accepts (and validates) the common query parameters, as API.md promises; `timeout_ms` bounds the key check. */
function checkQuery(node: ApiNode, ctx: RequestContext): RequestOptions {
  return parseRequestOptions(ctx.query, node.settings, node.limits);
}
