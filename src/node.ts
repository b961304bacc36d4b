import { accessSync, constants as fsConstants, mkdirSync } from "node:fs";
import { clusterRoutes } from "./api/cluster-routes.js";
import { faultRoutes } from "./api/fault-routes.js";
import { ApiServer } from "./api/http-server.js";
import type { ApiNode, DebugReplicasInfo, MemberInfo, ReplicaDebugInfo, RingInfo } from "./api/interface.js";
import { keyText } from "./api/key-segment.js";
import { kvRoutes } from "./api/kv-routes.js";
import { Router } from "./api/router.js";
import { uiRoutes } from "./api/ui-routes.js";
import { type Clock, systemClock } from "./clock/clock.js";
import { AntiEntropy, defaultAntiEntropyOptions } from "./cluster/anti-entropy.js";
import { defaultGossipOptions } from "./cluster/gossip-options.js";
import { Gossiper, isGossipMessage } from "./cluster/gossiper.js";
import { defaultHandoffOptions, HintedHandoff } from "./cluster/hinted-handoff.js";
import { defaultJoinOptions, fetchJoinInfo } from "./cluster/join.js";
import { KvRequestHandler } from "./cluster/kv-request-handler.js";
import { defaultTransferOptions, PartitionTransfer } from "./cluster/partition-transfer.js";
import { defaultTombstoneOptions, TombstoneReaper } from "./cluster/tombstone-reaper.js";
import { TransportReplicaAccess } from "./cluster/transport-replica-access.js";
import {
  type Address,
  advertisedHttpAddress,
  formatAddress,
  isWildcardHost,
  parseAddress,
} from "./config/address.js";
import {
  type ClusterSettings,
  defaultClusterSettings,
  type NodeOptions,
  type RequestLimits,
  validateClusterSettings,
} from "./config/node-options.js";
import { Coordinator } from "./coordinator/coordinator.js";
import { HintStore } from "./coordinator/hint-store.js";
import { LocalReplica } from "./coordinator/local-replica.js";
import { encodeContext, join } from "./core/causality/index.js";
import { conflictResolution } from "./core/conflict-mode.js";
import {
  type ClusterState,
  findMember,
  type MemberLoad,
  type MemberRecord,
  mergeClusterStates,
  NO_LOAD,
  NO_TRANSFER,
  withMember,
} from "./core/membership/cluster-state.js";
import { claim } from "./core/ring/index.js";
import { type RingView, ringView } from "./core/ring/ring-view.js";
import { isTombstoneOnly, liveSiblings, type StoredObject } from "./core/stored-object.js";
import { BadRequestError, ConfigError, ConflictError, NotFoundError, NotReadyError } from "./errors.js";
import type { Logger } from "./log/logger.js";
import { NodeMetrics } from "./metrics/node-metrics.js";
import {
  defaultTcpTransportOptions,
  type FaultController,
  FaultInjectingTransport,
  TcpTransport,
} from "./net/index.js";
import type { Message, PeerInfo, Transport } from "./net/transport.js";
import { checkSettingsConflicts, type NodeIdentity, NodeMeta, newClusterSettings } from "./node-meta.js";
import { type Random, systemRandom } from "./random/random.js";
import type { StorageEngine } from "./storage/engine.js";
import { openLmdbEngine } from "./storage/lmdb-engine.js";

export interface NodeComponents {
  /** Present only when fault injection is enabled (testing only). */
  faults?: FaultController;
  clock: Clock;
  random: Random;
  storage: StorageEngine;
  transport: Transport;
  logger: Logger;
  /**
   * Whether the node serves the client HTTP API (default true). The deterministic simulation runs
   * many nodes in one process and calls their coordinators directly, so its nodes open no socket.
   */
  httpServer?: boolean;
  /**
   * Whether the metrics include the process's own (event loop, GC, memory; default true). They
   * describe the process, not the node, and their monitors run on real timers: the simulation
   * turns them off.
   */
  processMetrics?: boolean;
}

/** Members a gossiped state may list; a larger one is refused as malformed. */
const MEMBERS_MAX = 10_000;
const DEBUG_READ_TIMEOUT_MS = 1000;

/**
 * One ringkv node: storage, replica, gossip membership, coordinator and client API, built from
 * validated options and handed its components. `start()` joins and serves; `stop()` drains and closes.
 */
export class RingkvNode implements ApiNode {
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  private identity: NodeIdentity | undefined;
  private clusterSettings: ClusterSettings | undefined;
  private gossiper: Gossiper | undefined;
  private access: TransportReplicaAccess | undefined;
  private coordinatorInstance: Coordinator | undefined;
  private cachedRing: RingView | undefined;
  private api: ApiServer | undefined;
  private boundHttp: Address | undefined;
  private kvHandler: KvRequestHandler | undefined;
  private handoff: HintedHandoff | undefined;
  private antiEntropy: AntiEntropy | undefined;
  private reaper: TombstoneReaper | undefined;
  private transfer: PartitionTransfer | undefined;
  private hints: HintStore | undefined;
  private replica: LocalReplica | undefined;

  constructor(
    private readonly options: NodeOptions,
    private readonly components: NodeComponents,
  ) {
    this.logger = components.logger;
    this.metrics = new NodeMetrics(options.id, () => components.storage.stats(), {
      processMetrics: components.processMetrics ?? true,
      nowMs: () => components.clock.nowMs(),
    });
  }

  get id(): string {
    return this.options.id;
  }

  get limits(): RequestLimits {
    return this.options.limits;
  }

  get settings(): ClusterSettings {
    if (this.clusterSettings === undefined)
      throw new NotReadyError("the node is still starting; retry shortly");
    return this.clusterSettings;
  }

  get coordinator(): Coordinator {
    if (this.coordinatorInstance === undefined)
      throw new NotReadyError("the node is still starting; retry shortly");
    return this.coordinatorInstance;
  }

  /** True once the node has joined its cluster and serves requests. */
  ready = false;

  /** The client API address actually bound (a port of 0 in the options picks a free one). */
  get httpAddress(): Address {
    if (this.boundHttp === undefined) throw new Error("node is not started");
    return this.boundHttp;
  }

  get clusterState(): ClusterState {
    if (this.gossiper === undefined) throw new Error("node is not started");
    return this.gossiper.current;
  }

  async start(): Promise<void> {
    const { clock, random, storage, logger, transport } = this.components;
    const meta = new NodeMeta(storage);
    this.identity = await meta.identity(this.options.id, random, clock.nowMs());
    if (await meta.beginRun()) {
      const previous = this.identity.actor;
      this.identity = await meta.rotateActor(this.identity, random);
      logger.warn(
        { previousActor: previous, actor: this.identity.actor },
        "the last run did not stop cleanly: writes coordinated here use a new actor",
      );
    }
    const generation = await meta.nextGeneration();
    await transport.start({
      onRequest: (from, message) => this.onRequest(from, message),
      onMessage: () => undefined,
    });
    // The HTTP server binds before the cluster is joined, so a port in use fails fast; requests
    // that arrive before the ring exists get a 503.
    if (this.components.httpServer !== false) await this.startApi();
    const { settings, state } = await this.resolveCluster(meta, generation);
    this.clusterSettings = settings;
    const replica = new LocalReplica(
      storage,
      {
        actor: this.identity.actor,
        siblingsMax: this.options.limits.siblingsMax,
        siblingsWarn: this.options.limits.siblingsWarn,
        conflicts: conflictResolution(settings.conflictMode, () => clock.nowMs()),
      },
      logger,
      this.metrics,
    );
    this.replica = replica;
    const gossiper = new Gossiper(
      {
        selfId: this.options.id,
        transport,
        clock,
        random,
        logger,
        options: defaultGossipOptions,
        partitions: settings.partitions,
        n: settings.n,
        membersMax: MEMBERS_MAX,
        persist: (s) => meta.storeClusterState(s),
        load: () => this.currentLoad(),
        onChange: (changed) => {
          this.cachedRing = undefined;
          this.checkDeparture(changed);
        },
      },
      state,
      this.options.seeds.map(formatAddress),
    );
    this.gossiper = gossiper;
    await meta.storeClusterState(state);
    const hints = new HintStore(
      storage,
      this.options.limits.hintsPerTargetMax,
      {
        onStored: () => this.metrics.hintsStored.inc(),
        onRefused: () => this.metrics.hintsRefused.inc(),
      },
      replica.conflicts,
    );
    this.metrics.hintsPending = () => hints.targets();
    this.metrics.clusterView = () => {
      const current = gossiper.current;
      const self = findMember(current, this.options.id);
      return {
        members: current.members.map((m) => ({ state: m.state, status: gossiper.status(m.id) })),
        ringVersion: current.ring?.version ?? 0,
        partitionsOwned: current.ring?.owners.filter((o) => o === this.options.id).length ?? 0,
        transferRemaining: current.ring?.next == null ? 0 : (self?.transfer.remaining ?? 0),
      };
    };
    this.hints = hints;
    this.access = new TransportReplicaAccess(
      this.options.id,
      replica,
      hints,
      transport,
      (id) => findMember(gossiper.current, id)?.listen,
    );
    this.coordinatorInstance = new Coordinator({
      nodeId: this.options.id,
      replica,
      ring: () => this.ringView(),
      access: this.access,
      status: (id) => gossiper.status(id),
      clock,
      logger,
      onReadRepair: () => this.metrics.readRepairs.inc(),
      onForward: () => this.metrics.writesForwarded.inc(),
    });
    const antiEntropy = new AntiEntropy(
      {
        selfId: this.options.id,
        storage,
        replica,
        access: this.access,
        transport,
        addressOf: (id) => findMember(gossiper.current, id)?.listen,
        status: (id) => gossiper.status(id),
        ring: () => this.ringView(),
        clock,
        logger,
        tombstoneGraceMs: this.options.tombstoneGraceMs,
        onExchange: (_partition, keys) => {
          this.metrics.aaeExchanges.inc();
          this.metrics.aaeKeysRepaired.inc(keys);
        },
      },
      { ...defaultAntiEntropyOptions, exchangeIntervalMs: this.options.aaeIntervalMs },
    );
    const treeKeys = antiEntropy.rebuild();
    logger.info({ keys: treeKeys }, "anti-entropy trees rebuilt");
    this.metrics.aaeExchangeAges = () => antiEntropy.exchangeAges();
    this.antiEntropy = antiEntropy;
    this.transfer = new PartitionTransfer(
      {
        selfId: this.options.id,
        n: () => this.ringView()?.n ?? settings.n,
        partitions: settings.partitions,
        state: () => gossiper.current,
        updateSelf: (change) => gossiper.updateSelf(change),
        storage,
        replica,
        transport,
        addressOf: (id) => findMember(gossiper.current, id)?.listen,
        status: (id) => gossiper.status(id),
        clock,
        logger,
      },
      defaultTransferOptions,
    );
    this.reaper = new TombstoneReaper(
      {
        selfId: this.options.id,
        storage,
        replica,
        access: this.access,
        ring: () => this.ringView(),
        status: (id) => gossiper.status(id),
        clock,
        logger,
        onReaped: (count) => this.metrics.tombstonesReaped.inc(count),
      },
      { ...defaultTombstoneOptions, graceMs: this.options.tombstoneGraceMs },
    );
    this.handoff = new HintedHandoff(
      {
        hints,
        access: this.access,
        status: (id) => gossiper.status(id),
        isMember: (id) => {
          const m = findMember(gossiper.current, id);
          return m !== undefined && m.state !== "left";
        },
        homeOf: (partition) => {
          const ring = this.ringView();
          return ring === undefined ? [] : ring.preferenceList(partition).slice(0, ring.n);
        },
        clock,
        logger,
        onDelivered: (count) => this.metrics.hintsDelivered.inc(count),
      },
      defaultHandoffOptions,
    );
    this.kvHandler = new KvRequestHandler(
      replica,
      hints,
      () => this.coordinator,
      () => ({
        partitions: settings.partitions,
        keyBytesMax: this.options.limits.keyBytesMax,
        valueBytesMax: this.options.limits.valueBytesMax,
        contentTypeBytesMax: this.options.limits.contentTypeBytesMax,
        timeoutMsMax: this.options.limits.timeoutMsMax,
        n: settings.n,
      }),
    );
    gossiper.start();
    this.handoff.start();
    antiEntropy.start();
    this.reaper.start();
    this.transfer.start();
    this.ready = true;
    logger.info(
      {
        http: this.httpText(),
        listen: transport.address,
        dataDir: this.options.dataDir,
        actor: this.identity.actor,
        generation,
        ...settings,
      },
      "node serving",
    );
    // A node restarted after it had left finds itself left in its stored state; no change of
    // state will come to tell it, so it hands its hints over and departs now.
    this.checkDeparture(gossiper.current);
  }

  /** Binds the client HTTP API (kv, cluster, UI and, when enabled, fault routes). */
  private async startApi(): Promise<void> {
    const logger = this.components.logger;
    this.api = new ApiServer({
      router: new Router([
        ...kvRoutes(this),
        ...clusterRoutes(this),
        ...uiRoutes(this),
        ...(this.components.faults === undefined ? [] : faultRoutes(this.components.faults)),
      ]),
      limits: this.options.httpServer,
      valueBytesMax: this.options.limits.valueBytesMax,
      logger,
      metrics: this.metrics,
    });
    this.boundHttp = await this.api.start(this.options.http);
  }

  /**
   * The client API address as members see it: --advertise-http; else the bound one (the
   * configured one without a server), with the advertised inter-node host for a wildcard bind.
   */
  private httpText(): string {
    const bound = this.boundHttp ?? this.options.http;
    const advertised = this.options.advertiseHttp;
    if (advertised === undefined && !isWildcardHost(bound.host)) return formatAddress(bound);
    const listen = parseAddress(this.components.transport.address, "inter-node address");
    return formatAddress(advertisedHttpAddress(bound, listen, advertised));
  }

  /**
   * The cluster this node belongs to: the stored one after a restart; a new one when started
   * with no seeds (or only itself); otherwise the one a seed describes, which it joins.
   */
  private async resolveCluster(
    meta: NodeMeta,
    generation: number,
  ): Promise<{ settings: ClusterSettings; state: ClusterState }> {
    const { clock, logger, transport } = this.components;
    const self: MemberRecord = {
      id: this.options.id,
      listen: transport.address,
      http: this.httpText(),
      state: "joining",
      stateVersion: 1,
      generation,
      heartbeat: 0,
      load: NO_LOAD,
      transfer: NO_TRANSFER,
      ringVersion: 0,
      infoVersion: 0,
    };
    const storedSettings = meta.settings();
    if (storedSettings !== undefined) {
      checkSettingsConflicts(this.options.cluster, storedSettings);
      const stored = meta.clusterState(storedSettings.partitions);
      const mine = stored === undefined ? undefined : findMember(stored, self.id);
      const base = stored ?? { members: [], ring: null };
      const record =
        mine === undefined
          ? self
          : { ...mine, listen: self.listen, http: self.http, generation, heartbeat: 0 };
      return { settings: storedSettings, state: withMember(base, record) };
    }
    const seeds = this.options.seeds
      .map(formatAddress)
      .filter((s) => s !== transport.address && s !== formatAddress(this.options.listen));
    if (seeds.length === 0) {
      const settings = validateClusterSettings(
        newClusterSettings(this.options.cluster, defaultClusterSettings),
      );
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
    const info = await fetchJoinInfo(seeds, transport, clock, logger, defaultJoinOptions, MEMBERS_MAX);
    checkSettingsConflicts(this.options.cluster, info.settings);
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

  private onRequest(from: PeerInfo, message: Message): Promise<Message> {
    if (isGossipMessage(message.type)) {
      if (this.gossiper === undefined) return Promise.reject(new BadRequestError("node is still starting"));
      return this.gossiper.onGossip(from, message);
    }
    if (message.type === "join_info") {
      if (this.gossiper === undefined || this.clusterSettings === undefined)
        return Promise.reject(new BadRequestError("node is still starting"));
      return Promise.resolve({
        type: "join_info_ok",
        settings: this.clusterSettings,
        state: this.gossiper.current,
      });
    }
    if (this.kvHandler?.handles(message.type)) return this.kvHandler.handle(message);
    if (this.transfer?.handles(message.type)) {
      try {
        return Promise.resolve(this.transfer.handle(message));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.antiEntropy?.handles(message.type)) {
      try {
        return Promise.resolve(this.antiEntropy.handle(message));
      } catch (error) {
        return Promise.reject(error instanceof BadRequestError ? error : new BadRequestError(String(error)));
      }
    }
    this.logger.warn({ from: from.id, type: message.type.slice(0, 64) }, "unknown message type refused");
    return Promise.reject(new BadRequestError(`unknown message type ${message.type.slice(0, 64)}`));
  }

  async stop(): Promise<void> {
    this.gossiper?.stop();
    this.handoff?.stop();
    this.antiEntropy?.stop();
    this.reaper?.stop();
    this.transfer?.stop();
    await this.api?.stop();
    await this.components.transport.stop();
    // A clean stop is recorded only once every write coordinated here is durable here; otherwise
    // the next start draws a new actor (see LocalReplica.coordinateWrite).
    if (this.replica === undefined || (await this.replica.settle()))
      await new NodeMeta(this.components.storage).endRun().catch((error: unknown) => {
        this.components.logger.warn({ err: error }, "could not record a clean stop");
      });
    await this.components.storage.close();
    this.components.logger.info("node stopped");
  }

  private ringView(): RingView | undefined {
    const ring = this.gossiper?.current.ring;
    if (ring === null || ring === undefined || this.clusterSettings === undefined) return undefined;
    if (this.cachedRing === undefined || this.cachedRing.version !== ring.version) {
      this.cachedRing = ringView(
        ring.owners,
        Math.min(this.clusterSettings.n, new Set(ring.owners).size),
        ring.version,
        ring.next,
      );
    }
    return this.cachedRing;
  }

  /**
   * What this node stores, for gossip and /cluster/members. Storage stats are read at most once a
   * second: gossip asks every 200 ms and the numbers are informational.
   */
  private currentLoad(): MemberLoad {
    const now = this.components.clock.nowMs();
    if (this.loadCache === undefined || now - this.loadCache.atMs >= 1000) {
      const stats = this.components.storage.stats();
      this.loadCache = {
        atMs: now,
        load: {
          keys: stats.stores.objects.entries,
          hints: stats.stores.hints.entries,
          diskBytes: stats.diskBytes,
        },
      };
    }
    return this.loadCache.load;
  }

  private loadCache: { atMs: number; load: MemberLoad } | undefined;

  /** Resolves once this node has left the cluster (after a leave, or when it was removed) and handed off its hints. */
  private markDeparted: () => void = () => {};
  // Declared after markDeparted: field initializers run in order.
  readonly departed: Promise<void> = new Promise((resolve) => {
    this.markDeparted = resolve;
  });
  private departing = false;

  async leave(): Promise<void> {
    const gossiper = this.gossiper;
    if (gossiper === undefined) throw new NotReadyError("the node is still starting");
    const self = gossiper.self();
    if (self.state === "leaving" || self.state === "left") return;
    const others = gossiper.current.members.filter(
      (m) => m.id !== self.id && (m.state === "active" || m.state === "joining"),
    );
    if (others.length === 0) throw new ConflictError("the last member of a cluster cannot leave it");
    await gossiper.updateSelf((s) => ({ ...s, state: "leaving", stateVersion: s.stateVersion + 1 }));
    this.logger.info("leaving the cluster: handing partitions over");
  }

  async remove(id: string): Promise<void> {
    const gossiper = this.gossiper;
    if (gossiper === undefined) throw new NotReadyError("the node is still starting");
    const member = findMember(gossiper.current, id);
    if (member === undefined || member.state === "left")
      throw new NotFoundError(`no member ${id.slice(0, 64)}`);
    if (id === this.options.id)
      throw new ConflictError("a node cannot remove itself: use POST /cluster/leave");
    const status = gossiper.status(id);
    if (status !== "down") {
      throw new ConflictError(
        `${id} is ${status}: only a node that is down can be removed (stop it, or have it leave)`,
      );
    }
    await gossiper.updateMember(id, (m) => ({ ...m, state: "left", stateVersion: m.stateVersion + 1 }));
    this.logger.info({ removed: id }, "node removed: its replicas will be re-created");
  }

  /**
   * Once this node is `left` and out of the ring, delivers its hints and makes sure a peer knows
   * it left (bounded wait), then reports departure.
   */
  private checkDeparture(state: ClusterState): void {
    const self = findMember(state, this.options.id);
    if (this.departing || self?.state !== "left" || state.ring?.owners.includes(this.options.id) !== false)
      return;
    this.departing = true;
    const hints = this.hints;
    const deadline = this.components.clock.nowMs() + 60_000;
    const wait = (): void => {
      const handedOver = (hints?.total() ?? 0) === 0 && this.gossiper?.peerKnowsSelf() !== false;
      if (handedOver || this.components.clock.nowMs() >= deadline) {
        this.logger.info({ hintsLeft: hints?.total() ?? 0 }, "left the cluster");
        this.markDeparted();
        return;
      }
      this.components.clock.setTimeout(wait, 500);
    };
    wait();
  }

  /** The id of the member whose inter-node address this is, if known (for fault injection). */
  memberIdAt(address: string): string | undefined {
    return this.gossiper?.current.members.find((m) => m.listen === address)?.id;
  }

  members(): MemberInfo[] {
    const gossiper = this.gossiper;
    if (gossiper === undefined) return [];
    const owned = new Map<string, number>();
    for (const id of gossiper.current.ring?.owners ?? []) owned.set(id, (owned.get(id) ?? 0) + 1);
    return gossiper.current.members.map((m) => ({
      id: m.id,
      listen: m.listen,
      http: m.id === this.options.id ? this.httpText() : m.http,
      state: m.state,
      status: gossiper.status(m.id),
      load: m.id === this.options.id ? this.currentLoad() : m.load,
      partitions: owned.get(m.id) ?? 0,
      transfer: m.transfer,
    }));
  }

  ring(): RingInfo {
    const view = this.ringView();
    const owners: string[][] = [];
    if (view !== undefined)
      for (let p = 0; p < view.partitions; p++) owners.push([...view.preferenceList(p)]);
    const s = this.settings;
    return {
      partitions: s.partitions,
      n: s.n,
      r: s.r,
      w: s.w,
      conflictMode: s.conflictMode,
      version: view?.version ?? 0,
      owners,
    };
  }

  ringVersion(): number | undefined {
    return this.gossiper?.current.ring?.version;
  }

  nowMs(): number {
    return this.components.clock.nowMs();
  }

  async debugReplicas(key: Uint8Array): Promise<DebugReplicasInfo> {
    const access = this.access;
    const gossiper = this.gossiper;
    if (access === undefined || gossiper === undefined) throw new Error("node is not started");
    const partition = this.coordinator.partitionOf(key);
    const home = this.coordinator.homeReplicas(partition);
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

/** Builds a node with real components: the data directory, LMDB, TCP, the system clock. */
export async function createNode(options: NodeOptions, logger: Logger): Promise<RingkvNode> {
  ensureDataDir(options.dataDir);
  const storage = await openLmdbEngine({
    path: options.dataDir,
    mapSizeBytesMax: options.storage.mapSizeBytesMax,
  });
  const tcp = new TcpTransport(
    {
      ...defaultTcpTransportOptions,
      // A peer that comes back is dialled again within a second: gossip sees it up about as
      // fast, and replication and handoff should not fail fast for longer than that.
      reconnectBackoffMaxMs: 1000,
      nodeId: options.id,
      clusterName: options.clusterName,
      listen: options.listen,
      advertise: options.advertiseListen,
    },
    { clock: systemClock, logger },
  );
  let node: RingkvNode | undefined;
  const faults = options.faultInjection
    ? new FaultInjectingTransport(tcp, {
        clock: systemClock,
        logger,
        idOf: (address) => node?.memberIdAt(address),
      })
    : undefined;
  if (faults !== undefined) logger.warn("fault injection is enabled (/admin/faults): for testing only");
  node = new RingkvNode(options, {
    clock: systemClock,
    random: systemRandom,
    storage,
    transport: faults ?? tcp,
    logger,
    faults,
  });
  return node;
}

function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.R_OK | fsConstants.W_OK);
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : String(error);
    throw new ConfigError(`--data-dir ${dir} is not a writable directory (${reason})`);
  }
}
