import type { Clock } from "../clock/clock.js";
import { fetchJoinInfo } from "../cluster/join.js";
import { formatAddress } from "../config/address.js";
import {
  type ClusterSettings,
  defaultClusterSettings,
  type NodeOptions,
  validateClusterSettings,
} from "../config/node-options.js";
import {
  type ClusterState,
  findMember,
  type MemberRecord,
  mergeClusterStates,
  NO_LOAD,
  NO_TRANSFER,
  withMember,
} from "../core/membership/cluster-state.js";
import { claim } from "../core/ring/index.js";
import type { Logger } from "../log/logger.js";
import { checkSettingsConflicts, type NodeIdentity, NodeMeta, newClusterSettings } from "../node-meta.js";
import type { PeerClient } from "../protocol/index.js";
import type { Random } from "../random/random.js";
import type { StorageEngine } from "../storage/engine.js";

/** Who this node is, from its data directory: its identity, this run's generation, its metadata store. */
export interface NodeStart {
  meta: NodeMeta;
  identity: NodeIdentity;
  generation: number;
}

/** The cluster this node belongs to, and the state it starts from. */
export interface ClusterMembership {
  settings: ClusterSettings;
  state: ClusterState;
}

/**
 * Reads (or creates) the node's identity and marks the run; after a run that did not stop
 * cleanly the node writes under a new actor, so no dot it may have sent on is ever reissued.
 */
export async function openNodeStart(
  id: string,
  storage: StorageEngine,
  random: Random,
  clock: Clock,
  logger: Logger,
): Promise<NodeStart> {
  const meta = new NodeMeta(storage);
  let identity = await meta.identity(id, random, clock.nowMs());
  if (await meta.beginRun()) {
    const previous = identity.actor;
    identity = await meta.rotateActor(identity, random);
    logger.warn(
      { previousActor: previous, actor: identity.actor },
      "the last run did not stop cleanly: writes coordinated here use a new actor",
    );
  }
  return { meta, identity, generation: await meta.nextGeneration() };
}

export interface ResolveClusterInput {
  options: NodeOptions;
  start: NodeStart;
  /** This node's inter-node and client addresses as members see them. */
  listen: string;
  http: string;
  peers: PeerClient;
  clock: Clock;
  logger: Logger;
}

/**
 * The cluster this node belongs to: the stored one after a restart; a new one when started
 * with no seeds (or only itself); otherwise the one a seed describes, which it joins.
 */
export async function resolveCluster(input: ResolveClusterInput): Promise<ClusterMembership> {
  const { options, start, listen, http, clock, logger } = input;
  const { meta, generation } = start;
  const self: MemberRecord = {
    id: options.id,
    listen,
    http,
    state: "joining",
    stateVersion: 1,
    generation,
    heartbeat: 0,
    load: NO_LOAD,
    transfer: NO_TRANSFER,
    ringVersion: 0,
    infoVersion: 0,
    ...(options.zone === undefined ? {} : { zone: options.zone }),
  };
  const storedSettings = meta.settings();
  if (storedSettings !== undefined) {
    checkSettingsConflicts(options.cluster, storedSettings);
    const stored = meta.clusterState(storedSettings.partitions);
    const mine = stored === undefined ? undefined : findMember(stored, self.id);
    const base = stored ?? { members: [], ring: null };
    const record =
      mine === undefined
        ? self
        : { ...withoutZone(mine), listen, http, ...zoneField(self), generation, heartbeat: 0 };
    return { settings: storedSettings, state: withMember(base, record) };
  }
  const seeds = options.seeds
    .map(formatAddress)
    .filter((s) => s !== listen && s !== formatAddress(options.listen));
  if (seeds.length === 0) {
    const settings = validateClusterSettings(newClusterSettings(options.cluster, defaultClusterSettings));
    await meta.storeSettings(settings);
    const owners = claim(undefined, [self.id], settings.partitions, settings.n);
    logger.info({ ...settings }, "forming a new cluster");
    return {
      settings,
      state: {
        members: [{ ...self, state: "active" }],
        ring: { version: 1, claimant: self.id, owners, next: null },
      },
    };
  }
  const info = await fetchJoinInfo(seeds, input.peers, clock, logger, options.join);
  checkSettingsConflicts(options.cluster, info.settings);
  await meta.storeSettings(info.settings);
  const known = findMember(info.state, self.id);
  // A node that comes back with a wiped data directory but its old id keeps its place in the ring.
  const inRing = info.state.ring?.owners.includes(self.id) ?? false;
  // Its liveness clock must also outrank the one the cluster remembers, or its heartbeats
  // would look old and it would stay "down".
  const raised = known === undefined ? self.generation : await meta.raiseGeneration(known.generation + 1);
  const record: MemberRecord =
    known === undefined
      ? self
      : {
          ...self,
          generation: raised,
          state: inRing ? "active" : "joining",
          stateVersion: known.stateVersion + 1,
        };
  return {
    settings: info.settings,
    state: mergeClusterStates(info.state, { members: [record], ring: null }),
  };
}

/** A restarted node takes the zone it was started with now, not the stored one. */
function withoutZone(record: MemberRecord): MemberRecord {
  const { zone: _stored, ...rest } = record;
  return rest;
}

function zoneField(record: MemberRecord): { zone?: string } {
  return record.zone === undefined ? {} : { zone: record.zone };
}
