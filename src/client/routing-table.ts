import assert from "node:assert/strict";
import { partitionOf } from "../core/partition.js";

/** The parts of `GET /cluster/ring` a client routes by. */
export interface RingAnswer {
  partitions: number;
  n: number;
  version?: number;
  owners: string[][];
}

/** The parts of `GET /cluster/members` a client routes by. */
export interface MembersAnswer {
  members: { id: string; http: string; state: string; status: string }[];
}

/**
 * Where each key lives, as the cluster last told us: partition -> preference list -> the
 * members' client API URLs. Pure data; the client refreshes it when the ring version changes.
 */
export class RoutingTable {
  private readonly urlOf = new Map<string, string>();

  constructor(
    readonly version: number,
    readonly partitions: number,
    readonly n: number,
    private readonly owners: readonly (readonly string[])[],
    members: MembersAnswer["members"],
    /** How members' bare host:port addresses are reached: the scheme the client was given. */
    scheme: "http" | "https" = "http",
  ) {
    assert(owners.length === partitions, "a ring lists one preference list per partition");
    for (const m of members) {
      if (m.state === "left" || m.http === "") continue;
      this.urlOf.set(m.id, /^https?:\/\//.test(m.http) ? m.http : `${scheme}://${m.http}`);
    }
  }

  static from(ring: RingAnswer, members: MembersAnswer, scheme: "http" | "https" = "http"): RoutingTable {
    if (!Number.isSafeInteger(ring.partitions) || ring.partitions < 1 || !Array.isArray(ring.owners))
      throw new TypeError("malformed /cluster/ring answer");
    if (ring.owners.length !== ring.partitions || !Array.isArray(members.members))
      throw new TypeError("malformed /cluster/ring or /cluster/members answer");
    return new RoutingTable(ring.version ?? 0, ring.partitions, ring.n, ring.owners, members.members, scheme);
  }

  /** The key's home replicas' URLs in preference order (fewer when a member's address is unknown). */
  homeOf(key: Uint8Array): string[] {
    const list = this.owners[partitionOf(key, this.partitions)] ?? [];
    const urls: string[] = [];
    for (const id of list.slice(0, this.n)) {
      const url = this.urlOf.get(id);
      if (url !== undefined) urls.push(url);
    }
    return urls;
  }

  /** Every member's URL. */
  allNodes(): string[] {
    return [...this.urlOf.values()];
  }
}
