import { DEFAULT_NAMESPACE } from "../core/namespace/index.js";
import { BadRequestError } from "../errors.js";
import type { ApiNode } from "./interface.js";
import { decodeKeySegment, keyText } from "./key-segment.js";
import { decodeNamespaceSegment, keyTarget } from "./kv-routes.js";
import { parseRequestOptions } from "./query-params.js";
import { jsonReply, type Reply } from "./reply.js";
import type { RequestContext, Route } from "./router.js";

/** Health, membership, ring, per-key replica inspection and metrics. */
export function clusterRoutes(node: ApiNode): Route[] {
  // Every route accepts (and validates) the common query parameters, as API.md promises.
  const checkQuery = (ctx: RequestContext): void => {
    parseRequestOptions(ctx.query, node.settings, node.limits);
  };
  // What the key's home replicas hold; `key` in the answer is the user key, next to its namespace.
  const debugReplicas = async (ctx: RequestContext, namespace: string, segment: string): Promise<Reply> => {
    checkQuery(ctx);
    const target = keyTarget(node, namespace, segment);
    const info = await node.debugReplicas(target.stored);
    return jsonReply(200, {
      ...info,
      key: keyText(decodeKeySegment(segment, node.limits.keyBytesMax)),
      namespace,
    });
  };
  return [
    {
      name: "health",
      pattern: ["health"],
      methods: {
        GET: (ctx) => {
          if (!node.ready) return jsonReply(503, { status: "starting", id: node.id }, { "retry-after": "1" });
          checkQuery(ctx);
          return jsonReply(200, { status: "ok", id: node.id });
        },
      },
    },
    {
      name: "cluster_members",
      pattern: ["cluster", "members"],
      methods: {
        GET: (ctx) => {
          checkQuery(ctx);
          return jsonReply(200, { members: node.members() });
        },
      },
    },
    {
      name: "cluster_ring",
      pattern: ["cluster", "ring"],
      methods: {
        GET: (ctx) => {
          checkQuery(ctx);
          return jsonReply(200, node.ring());
        },
      },
    },
    {
      name: "cluster_leave",
      pattern: ["cluster", "leave"],
      methods: {
        POST: async (ctx) => {
          checkQuery(ctx);
          await node.leave();
          return jsonReply(202, { status: "leaving", id: node.id });
        },
      },
    },
    {
      name: "cluster_remove",
      pattern: ["cluster", "remove", ":id"],
      methods: {
        POST: async (ctx) => {
          checkQuery(ctx);
          let id: string;
          try {
            id = decodeURIComponent(ctx.params[0] ?? "");
          } catch {
            throw new BadRequestError("node id is not valid percent-encoded UTF-8");
          }
          await node.remove(id);
          return jsonReply(202, { status: "removing", id });
        },
      },
    },
    {
      name: "debug_replicas",
      pattern: ["debug", "replicas", ":key"],
      methods: { GET: (ctx) => debugReplicas(ctx, DEFAULT_NAMESPACE, ctx.params[0] ?? "") },
    },
    {
      name: "debug_replicas",
      pattern: ["debug", "replicas", ":ns", ":key"],
      methods: {
        GET: (ctx) => debugReplicas(ctx, decodeNamespaceSegment(ctx.params[0] ?? ""), ctx.params[1] ?? ""),
      },
    },
    {
      name: "metrics",
      pattern: ["metrics"],
      methods: {
        GET: async (ctx) => {
          checkQuery(ctx);
          const text = await node.metrics.registry.metrics();
          return { status: 200, headers: { "content-type": node.metrics.registry.contentType }, body: text };
        },
      },
    },
  ];
}
