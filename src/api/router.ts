import type { ApiRequest } from "./api-request.js";
import type { Principal } from "./auth/interface.js";
import type { Reply } from "./reply.js";

export interface RequestContext {
  req: ApiRequest;
  /** The raw (still percent-encoded) path segments that matched `:param` parts, in order. */
  params: string[];
  /** The query string without the leading `?`. */
  query: string;
  /** Who the request authenticated as; undefined with --auth none or on a public route. */
  principal?: Principal | undefined;
}

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

export interface Route {
  /** A stable name for metrics labels, e.g. "kv" or "cluster_members". */
  name: string;
  /** Path segments; `:x` matches any one segment, `*` matches one or more remaining segments. */
  pattern: string[];
  methods: Partial<Record<string, Handler>>;
}

export interface RouteMatch {
  route: Route;
  params: string[];
}

/** A small exact-segment router: few routes, matched in order, no regular expressions. */
export class Router {
  constructor(private readonly routes: readonly Route[]) {}

  match(segments: readonly string[]): RouteMatch | undefined {
    for (const route of this.routes) {
      const params = matchPattern(route.pattern, segments);
      if (params !== undefined) return { route, params };
    }
    return undefined;
  }
}

function matchPattern(pattern: readonly string[], segments: readonly string[]): string[] | undefined {
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i];
    if (part === "*") {
      if (segments.length <= i) return undefined;
      params.push(segments.slice(i).join("/"));
      return params;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (part?.startsWith(":")) params.push(segment);
    else if (part !== segment) return undefined;
  }
  return segments.length === pattern.length ? params : undefined;
}

/** Splits a request target into path segments and query; undefined when it is not a path. */
export function splitTarget(target: string): { segments: string[]; query: string } | undefined {
  if (!target.startsWith("/")) return undefined;
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? "" : target.slice(q + 1);
  const segments = path === "/" ? [] : path.slice(1).split("/");
  return { segments, query };
}
