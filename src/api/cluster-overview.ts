import type { ClusterSettings } from "../config/node-options.js";
import type { MemberInfo, RingInfo } from "./interface.js";
import type { NodeStats } from "./node-stats.js";

/** Why a member's stats are missing from an overview. */
export type StatsUnavailable = "down" | "left" | "unreachable" | "timeout" | "bad_response";

export type StatsResult = { ok: true; stats: NodeStats } | { ok: false; error: StatsUnavailable };

/** One member as the dashboard shows it: membership, load, transfer, and its own stats when reachable. */
export interface OverviewMember extends MemberInfo {
  stats: NodeStats | null;
  /** Set when `stats` is null. */
  statsError: StatsUnavailable | null;
}

/**
 * The ring, compactly: `nodes` names each owner once, `owners[p]` is the index in `nodes` of
 * partition p's primary owner. A partition's preference list is the clockwise walk from p
 * collecting distinct owners (its first `n` are the home replicas), so it is not repeated here.
 */
export interface CompactRing {
  partitions: number;
  n: number;
  version: number;
  nodes: string[];
  owners: number[];
}

/** GET /cluster/overview: everything the dashboard draws, as the serving node sees it. */
export interface ClusterOverview {
  /** The node that assembled this overview (its failure detector gave each member's status). */
  self: string;
  generatedAtMs: number;
  settings: Pick<ClusterSettings, "partitions" | "n" | "r" | "w">;
  ring: CompactRing;
  members: OverviewMember[];
  /** Namespaces with an n of their own (others have the cluster's N), for their key counts. */
  namespaceN: Record<string, number>;
}

/** What the overview needs of GET /cluster/ring's answer. */
export type RingOwners = Pick<RingInfo, "n" | "owners"> & { version?: number };

/** Compacts preference lists (as GET /cluster/ring has them) to one owner index per partition. */
export function compactRing(ring: RingOwners): CompactRing {
  const nodes: string[] = [];
  const index = new Map<string, number>();
  const owners = ring.owners.map((list, p) => {
    const owner = list[0];
    if (owner === undefined) throw new Error(`partition ${p} has an empty preference list`);
    let i = index.get(owner);
    if (i === undefined) {
      i = nodes.length;
      nodes.push(owner);
      index.set(owner, i);
    }
    return i;
  });
  return { partitions: owners.length, n: ring.n, version: ring.version ?? 0, nodes, owners };
}

/** The members whose stats are worth asking for: neither gone nor known down. */
export function statsTargets(members: readonly MemberInfo[]): MemberInfo[] {
  return members.filter((m) => m.state !== "left" && m.status !== "down");
}

/** Assembles the overview from the serving node's view and whatever stats came back. */
export function assembleOverview(input: {
  self: string;
  nowMs: number;
  settings: ClusterSettings;
  ring: RingOwners;
  members: readonly MemberInfo[];
  stats: ReadonlyMap<string, StatsResult>;
  /** Configured namespaces' n, where set. */
  namespaceN?: Readonly<Record<string, number>>;
}): ClusterOverview {
  const { partitions, n, r, w } = input.settings;
  const members = [...input.members]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m): OverviewMember => {
      const result: StatsResult =
        input.stats.get(m.id) ??
        ({
          ok: false,
          error: m.state === "left" ? "left" : m.status === "down" ? "down" : "unreachable",
        } as const);
      return result.ok
        ? { ...m, stats: result.stats, statsError: null }
        : { ...m, stats: null, statsError: result.error };
    });
  return {
    self: input.self,
    generatedAtMs: input.nowMs,
    settings: { partitions, n, r, w },
    ring: compactRing(input.ring),
    members,
    namespaceN: { ...(input.namespaceN ?? {}) },
  };
}
