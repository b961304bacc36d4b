import { assembleOverview, type ClusterOverview, statsTargets } from "./cluster-overview.js";
import { DashboardAssets } from "./dashboard-assets.js";
import type { ApiNode } from "./interface.js";
import { defaultMemberStatsOptions, fetchMemberStats, type MemberStatsOptions } from "./member-stats.js";
import { localNodeStats } from "./node-stats.js";
import { parseRequestOptions } from "./query-params.js";
import { jsonReply, type Reply } from "./reply.js";
import type { RequestContext, Route } from "./router.js";

export interface UiOptions {
  /** An overview this young is served again instead of asking every member once more. */
  overviewCacheMs: number;
  stats: MemberStatsOptions;
}

/** The page polls once a second; several open pages share one round of /stats requests. */
export const defaultUiOptions: UiOptions = { overviewCacheMs: 500, stats: defaultMemberStatsOptions };

/**
 * The page may load only its own files and talk only to its own node: no inline script, so data
 * that slipped into markup could not run.
 */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** GET /ui (the dashboard), GET /stats (this node's recent figures), GET /cluster/overview. */
export function uiRoutes(node: ApiNode, options: UiOptions = defaultUiOptions): Route[] {
  const checkQuery = (ctx: RequestContext): void => {
    parseRequestOptions(ctx.query, node.settings, node.limits);
  };
  const assets = new DashboardAssets();
  const overview = new OverviewSource(node, options);
  const page = async (name: string): Promise<Reply> => {
    const asset = await assets.get(name);
    return { status: 200, headers: { ...PAGE_HEADERS, "content-type": asset.contentType }, body: asset.body };
  };
  return [
    {
      name: "ui",
      pattern: ["ui"],
      methods: { GET: () => page("index.html") },
    },
    {
      name: "ui",
      pattern: ["ui", ":file"],
      methods: {
        // "/ui/" is the page too.
        GET: (ctx) => page(ctx.params[0] === "" ? "index.html" : (ctx.params[0] ?? "")),
      },
    },
    {
      name: "stats",
      pattern: ["stats"],
      methods: {
        GET: async (ctx) => {
          checkQuery(ctx);
          const stats = await localNodeStats(node.id, node.metrics, node.namespaceKeyCounts());
          return jsonReply(200, stats, { "cache-control": "no-store" });
        },
      },
    },
    {
      name: "cluster_overview",
      pattern: ["cluster", "overview"],
      methods: {
        GET: async (ctx) => {
          checkQuery(ctx);
          return jsonReply(200, await overview.get(), { "cache-control": "no-store" });
        },
      },
    },
  ];
}

/**
 * Builds overviews: the serving node's members and ring, its own stats, and every other live
 * member's /stats. Requests arriving while one is being built share it, and a fresh one is
 * reused for `overviewCacheMs`, so open pages cost at most one round of requests per interval.
 */
export class OverviewSource {
  private latest: { atMs: number; overview: ClusterOverview } | undefined;
  private building: Promise<ClusterOverview> | undefined;

  constructor(
    private readonly node: ApiNode,
    private readonly options: UiOptions,
  ) {}

  get(): Promise<ClusterOverview> {
    const now = this.node.metrics.nowMs();
    if (this.latest !== undefined && now - this.latest.atMs < this.options.overviewCacheMs)
      return Promise.resolve(this.latest.overview);
    if (this.building === undefined) {
      this.building = this.build().finally(() => {
        this.building = undefined;
      });
    }
    return this.building;
  }

  private async build(): Promise<ClusterOverview> {
    const node = this.node;
    // Read settings first: before the node has joined it throws NotReadyError (a 503).
    const settings = node.settings;
    const ring = node.ring();
    const members = node.members();
    const others = statsTargets(members).filter((m) => m.id !== node.id);
    const [own, remote] = await Promise.all([
      localNodeStats(node.id, node.metrics, node.namespaceKeyCounts()),
      fetchMemberStats(others, this.options.stats),
    ]);
    remote.set(node.id, { ok: true, stats: own });
    const nowMs = node.metrics.nowMs();
    const namespaceN: Record<string, number> = {};
    for (const [name, properties] of node.namespaces().list())
      if (properties.n !== undefined) namespaceN[name] = properties.n;
    const overview = assembleOverview({
      self: node.id,
      nowMs,
      settings,
      ring,
      members,
      stats: remote,
      namespaceN,
    });
    this.latest = { atMs: nowMs, overview };
    return overview;
  }
}
