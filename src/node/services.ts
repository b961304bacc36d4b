import type { Clock } from "../clock/clock.js";
import { AntiEntropy } from "../cluster/anti-entropy.js";
import { Gossiper } from "../cluster/gossiper.js";
import { HintedHandoff } from "../cluster/hinted-handoff.js";
import { kvHandlers } from "../cluster/kv-handlers.js";
import { ClusterMetadata } from "../cluster/metadata/index.js";
import { PartitionReclaim } from "../cluster/partition-reclaim.js";
import { PartitionTransfer } from "../cluster/partition-transfer.js";
import { TombstoneReaper } from "../cluster/tombstone-reaper.js";
import { TransportReplicaAccess } from "../cluster/transport-replica-access.js";
import { formatAddress } from "../config/address.js";
import type { ClusterSettings, NodeOptions } from "../config/node-options.js";
import { Coordinator } from "../coordinator/coordinator.js";
import { HintStore } from "../coordinator/hint-store.js";
import { LocalReplica } from "../coordinator/local-replica.js";
import { conflictResolution } from "../core/conflict-mode.js";
import type { ClusterState } from "../core/membership/cluster-state.js";
import { zonesOf } from "../core/membership/zone.js";
import {
  NAMESPACE_KEY_OVERHEAD_BYTES,
  NamespaceReplicaCounts,
  namespaceOf,
  propertiesOf,
} from "../core/namespace/index.js";
import { zoneSharedPartitions } from "../core/ring/index.js";
import { type KeyLister, listHandlers } from "../listing/index.js";
import { nodeLister } from "../listing/node-lister.js";
import type { Logger } from "../log/logger.js";
import type { NodeMetrics } from "../metrics/node-metrics.js";
import type { Transport } from "../net/transport.js";
import {
  type HandlerEntry,
  handler,
  MemberClient,
  missingHandlers,
  PeerClient,
  type ProtocolLimits,
  peerMessages,
  STORED_KEY_BYTES_MAX,
} from "../protocol/index.js";
import type { Random } from "../random/random.js";
import type { StorageEngine } from "../storage/engine.js";
import type { NodeStart } from "./bootstrap.js";
import { GossipClusterView } from "./cluster-view.js";
import { Departure } from "./departure.js";
import { LoadReport } from "./load-report.js";

/** Members a gossiped state may list; a larger one is refused as malformed. */
export const MEMBERS_MAX = 10_000;

/** Keys one anti-entropy listing may carry: a few exchanges' worth. */
const AAE_KEYS_PER_LISTING = 4;

/** What peer messages this node accepts, from its options and its cluster's settings. */
export function protocolLimits(options: NodeOptions, settings: ClusterSettings): ProtocolLimits {
  return {
    partitions: settings.partitions,
    n: settings.n,
    membersMax: MEMBERS_MAX,
    // Peers carry stored keys: a namespaced key is longer than the user key a client sent.
    keyBytesMax: Math.min(options.limits.keyBytesMax + NAMESPACE_KEY_OVERHEAD_BYTES, STORED_KEY_BYTES_MAX),
    valueBytesMax: options.limits.valueBytesMax,
    contentTypeBytesMax: options.limits.contentTypeBytesMax,
    timeoutMsMax: options.limits.timeoutMsMax,
    treeSegments: options.antiEntropy.treeSegments,
    aaeKeysMax: options.antiEntropy.keysPerExchangeMax * AAE_KEYS_PER_LISTING,
  };
}

export interface ServiceInputs {
  options: NodeOptions;
  clock: Clock;
  random: Random;
  storage: StorageEngine;
  transport: Transport;
  logger: Logger;
  metrics: NodeMetrics;
  start: NodeStart;
  settings: ClusterSettings;
  state: ClusterState;
}

/**
 * Everything a running node is made of, built whole once the node knows its cluster: no part
 * is missing or filled in later. `handlers` routes every peer message to its subsystem.
 */
export interface NodeServices {
  readonly settings: ClusterSettings;
  readonly limits: ProtocolLimits;
  readonly replica: LocalReplica;
  readonly hints: HintStore;
  readonly gossiper: Gossiper;
  readonly view: GossipClusterView;
  readonly access: TransportReplicaAccess;
  readonly coordinator: Coordinator;
  readonly load: LoadReport;
  readonly departure: Departure;
  /** The cluster-wide metadata (tokens, namespace properties). */
  readonly metadata: ClusterMetadata;
  /** Pages of key listings over this node's ring (src/listing). */
  readonly lister: KeyLister;
  readonly handlers: readonly HandlerEntry[];
  /** Starts every background task, in order; `stop` stops them. */
  start(): void;
  stop(): void;
}

export function buildServices(inputs: ServiceInputs): NodeServices {
  const { options, clock, random, storage, transport, logger, metrics, settings } = inputs;
  const selfId = options.id;
  const limits = protocolLimits(options, settings);
  const peers = new PeerClient(transport, limits);
  // Each key's replica count, from the namespaces' properties in the metadata (kept current below).
  const replicaCounts = new NamespaceReplicaCounts(settings.n);
  const replica = new LocalReplica(
    storage,
    {
      actor: inputs.start.identity.actor,
      siblingsMax: options.limits.siblingsMax,
      // A namespace's maxSiblings replaces --max-siblings for its keys (read when a write applies).
      siblingsMaxOf: (key) =>
        propertiesOf(metadata.get("namespaces", namespaceOf(key))).maxSiblings ?? options.limits.siblingsMax,
      siblingsWarn: options.limits.siblingsWarn,
      objectBytesMax: options.limits.objectBytesMax,
      conflicts: conflictResolution(settings.conflictMode, () => clock.nowMs()),
    },
    logger,
    metrics,
  );
  const load = new LoadReport(storage, clock, options.load.refreshIntervalMs);
  const gossiper = new Gossiper(
    {
      selfId,
      peers,
      clock,
      random,
      logger,
      options: options.gossip,
      partitions: settings.partitions,
      n: settings.n,
      persist: (s) => inputs.start.meta.storeClusterState(s),
      load: () => load.current(),
      onFactRefused: (reason) => metrics.peerFactsRefused.inc({ reason }),
      // Loops that back off while idle come back to pace when the ring or a membership changes.
      onChange: () => {
        transfer.ringChanged();
        reclaim.ringChanged();
      },
      replicaCounts: () => replicaCounts.inUse(),
    },
    inputs.state,
    options.seeds.map(formatAddress),
  );
  const view = new GossipClusterView(gossiper, settings.n);
  const hints = new HintStore(storage, {
    hintsPerTargetMax: options.limits.hintsPerTargetMax,
    nowMs: () => clock.nowMs(),
    conflicts: replica.conflicts,
    onStored: (target) => {
      metrics.hintStored(target);
      handoff.hintStored();
    },
    onRefused: (target) => metrics.hintRefused(target),
  });
  const members = new MemberClient(peers, (id) => view.addressOf(id));
  const access = new TransportReplicaAccess(selfId, replica, hints, members, replicaCounts);
  const coordinator = new Coordinator({
    nodeId: selfId,
    replica,
    view,
    access,
    clock,
    logger,
    onReadRepair: () => metrics.readRepaired(),
    onForward: () => metrics.writesForwarded.inc(),
    learnRing: (peer) => gossiper.pullFrom(peer),
    reroutesMax: options.fencing.reroutesMax,
    onReroute: () => metrics.writesRerouted.inc(),
    replicaCounts,
    speculativeRetryMs: options.reads.speculativeRetryMs,
    onSpeculativeRead: () => metrics.readsSpeculative.inc(),
  });
  const antiEntropy = new AntiEntropy(
    {
      selfId,
      storage,
      replica,
      peers: members,
      view,
      clock,
      logger,
      tombstoneGraceMs: options.tombstones.graceMs,
      onExchange: (_partition, keys) => metrics.aaeExchanged(keys),
      replicaCounts,
      clusterN: settings.n,
      onForeignCopy: (partition) => reclaim.recheck(partition),
    },
    options.antiEntropy,
  );
  const transfer = new PartitionTransfer(
    {
      selfId,
      n: settings.n,
      partitions: settings.partitions,
      updateSelf: (change) => gossiper.updateSelf(change),
      storage,
      replica,
      peers: members,
      view,
      clock,
      logger,
      joinTimeoutMs: options.gossip.joinTimeoutMs,
      replicaCounts,
    },
    options.transfer,
  );
  const reclaim = new PartitionReclaim(
    {
      selfId,
      n: settings.n,
      partitions: settings.partitions,
      storage,
      replica,
      access,
      view,
      clock,
      logger,
      onReclaimed: (keys) => metrics.keysReclaimed.inc(keys),
      onPartitionEmptied: (partition) => antiEntropy.forgetPartition(partition),
      replicaCounts,
    },
    options.reclaim,
  );
  const reaper = new TombstoneReaper(
    {
      selfId,
      storage,
      replica,
      access,
      view,
      clock,
      logger,
      onReaped: (count) => metrics.tombstonesReaped.inc(count),
      replicaCounts,
    },
    options.tombstones,
  );
  const handoff = new HintedHandoff(
    {
      hints,
      replicaCounts,
      access,
      view,
      clock,
      logger,
      onDelivered: (target, count) => metrics.hintsDeliveredTo(target, count),
      onExpired: (target, count) => metrics.hintsExpiredFor(target, count),
    },
    options.handoff,
  );
  const departure = new Departure(
    { selfId, view, hints, peerKnowsSelf: () => gossiper.peerKnowsSelf(), clock, logger },
    options.departure,
  );
  const metadata = new ClusterMetadata(
    { selfId, storage, peers: members, view, clock, random, logger },
    options.metadata,
  );
  const countReplicas = (): void =>
    replicaCounts.update(metadata.list("namespaces").map(([name, value]) => [name, propertiesOf(value)]));
  countReplicas();
  metadata.onChange("namespaces", () => {
    const before = replicaCounts.version;
    countReplicas();
    if (replicaCounts.version === before) return;
    logger.info({ replicaCounts: replicaCounts.inUse() }, "a namespace's n changed");
    // Keys of another count may now belong to other nodes: transfer and reclaim look again.
    transfer.ringChanged();
    reclaim.ringChanged();
  });
  const handlers = [
    ...gossiper.handlers(),
    ...metadata.handlers(),
    handler(peerMessages.joinInfo, () => ({ settings, state: gossiper.current })),
    ...kvHandlers(replica, hints, coordinator, {
      selfId,
      replicaCounts,
      onWiderThanKnown: (partition) => reclaim.recheck(partition),
      ring: () => view.ring(),
      onRefused: (kind) => metrics.ownershipRefusals.inc({ kind }),
      onNewerSender: (peer) => void gossiper.pullFrom(peer),
    }),
    ...antiEntropy.handlers(),
    ...transfer.handlers(),
    ...listHandlers(storage, clock),
  ];
  const lister = nodeLister(
    { selfId, n: settings.n, storage, gossiper, coordinator, peers: members, clock, logger },
    options.listing,
  );
  const missing = missingHandlers(handlers);
  if (missing.length > 0) throw new Error(`no handler for ${missing.join(", ")}`);
  const treeKeys = antiEntropy.rebuild();
  logger.info({ keys: treeKeys }, "anti-entropy trees rebuilt");
  watchWithMetrics(metrics, selfId, settings.n, gossiper, hints, antiEntropy);
  const tasks = [gossiper, metadata, handoff, antiEntropy, reaper, transfer, reclaim, departure];
  return {
    settings,
    limits,
    replica,
    hints,
    gossiper,
    view,
    access,
    coordinator,
    load,
    departure,
    metadata,
    lister,
    handlers,
    start: () => {
      for (const task of tasks) task.start();
    },
    stop: () => {
      for (const task of tasks) task.stop();
    },
  };
}

/** The gauges that read the services' state when metrics are scraped. */
function watchWithMetrics(
  metrics: NodeMetrics,
  selfId: string,
  n: number,
  gossiper: Gossiper,
  hints: HintStore,
  antiEntropy: AntiEntropy,
): void {
  metrics.hintsPending = () => hints.targets();
  metrics.aaeExchangeAges = () => antiEntropy.exchangeAges();
  metrics.aaeFullPassAgeSeconds = () => antiEntropy.fullPassAgeSeconds();
  metrics.clusterView = () => {
    const current = gossiper.current;
    const self = current.members.find((m) => m.id === selfId);
    return {
      members: current.members.map((m) => ({ state: m.state, status: gossiper.status(m.id) })),
      ringVersion: current.ring?.version ?? 0,
      partitionsOwned: current.ring?.owners.filter((o) => o === selfId).length ?? 0,
      transferRemaining: current.ring?.next == null ? 0 : (self?.transfer.remaining ?? 0),
      zoneSharedPartitions:
        current.ring == null ? 0 : zoneSharedPartitions(current.ring.owners, n, zonesOf(current.members)),
    };
  };
}
