import type { DebugReplicasInfo, MemberInfo, ReplicaDebugInfo, RingInfo } from "../api/interface.js";
import { keyText } from "../api/key-segment.js";
import { encodeContext, join } from "../core/causality/index.js";
import { preferenceList } from "../core/ring/index.js";
import { isTombstoneOnly, liveSiblings, type StoredObject } from "../core/stored-object.js";
import type { NodeServices } from "./services.js";

/** A debug read of one replica waits at most this long. */
const DEBUG_READ_TIMEOUT_MS = 1000;

/**
 * What the client API shows of the cluster (/cluster/members, /cluster/ring, /debug/replicas),
 * read from a running node's services. Nothing here changes state.
 */
export function membersOf(services: NodeServices, selfId: string, selfHttp: string): MemberInfo[] {
  const { gossiper } = services;
  const owned = new Map<string, number>();
  for (const id of gossiper.current.ring?.owners ?? []) owned.set(id, (owned.get(id) ?? 0) + 1);
  return gossiper.current.members.map((m) => ({
    id: m.id,
    listen: m.listen,
    http: m.id === selfId ? selfHttp : m.http,
    zone: m.zone ?? null,
    state: m.state,
    status: gossiper.status(m.id),
    load: m.id === selfId ? services.load.current() : m.load,
    partitions: owned.get(m.id) ?? 0,
    transfer: m.transfer,
  }));
}

export function ringOf(services: NodeServices): RingInfo {
  const view = services.view.ring();
  const owners: string[][] = [];
  if (view !== undefined) for (let p = 0; p < view.partitions; p++) owners.push([...view.preferenceList(p)]);
  const s = services.settings;
  return {
    partitions: s.partitions,
    n: s.n,
    r: s.r,
    w: s.w,
    conflictMode: s.conflictMode,
    version: view?.version ?? 0,
    owners,
    next: pendingOf(services.gossiper.current.ring?.next ?? null, s.n),
  };
}

/** The pending ring's home replicas per partition, as `GET /cluster/ring` shows them under `next`. */
function pendingOf(next: readonly string[] | null, n: number): string[][] | null {
  if (next === null) return null;
  const length = Math.min(n, new Set(next).size);
  return next.map((_, p) => preferenceList(next, p, length));
}

/** What each home replica, and each member holding hints of the key, has stored for it. */
export async function debugReplicasOf(services: NodeServices, key: Uint8Array): Promise<DebugReplicasInfo> {
  const { access, coordinator, gossiper } = services;
  const partition = coordinator.partitionOf(key);
  const home = coordinator.homeReplicas(key);
  const replicas = await Promise.all(
    home.map(async (id): Promise<ReplicaDebugInfo> => {
      const status = gossiper.status(id);
      try {
        return describeReplica(id, status, await access.read(id, partition, key, DEBUG_READ_TIMEOUT_MS));
      } catch {
        return { id, status, error: "unreachable" };
      }
    }),
  );
  // Fallbacks: other members holding hints of this key for one of its home replicas.
  const others = gossiper.current.members.filter(
    (m) => !home.includes(m.id) && m.state !== "left" && gossiper.status(m.id) !== "down",
  );
  const found = await Promise.all(
    others.flatMap((m) =>
      home.map(async (target): Promise<ReplicaDebugInfo | undefined> => {
        try {
          const object = await access.read(m.id, partition, key, DEBUG_READ_TIMEOUT_MS, target);
          return object === undefined
            ? undefined
            : { ...describeReplica(m.id, gossiper.status(m.id), object), hintFor: target };
        } catch {
          return undefined;
        }
      }),
    ),
  );
  const fallbacks = found.filter((f): f is ReplicaDebugInfo => f !== undefined);
  return { key: keyText(key), partition, replicas, fallbacks };
}

function describeReplica(
  id: string,
  status: ReplicaDebugInfo["status"],
  object: StoredObject | undefined,
): ReplicaDebugInfo {
  const live = object === undefined ? [] : liveSiblings(object);
  return {
    id,
    status,
    values: live.map((s) => Buffer.from(s.value).toString("base64")),
    contentTypes: live.map((s) => s.contentType),
    deleted: object !== undefined && isTombstoneOnly(object),
    context: object === undefined || object.entries.length === 0 ? null : encodeContext(join(object)),
  };
}
