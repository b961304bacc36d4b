import { mkdirSync, accessSync, constants as fsConstants } from "node:fs";
import { ApiServer } from "./api/http-server.js";
import type { ApiNode, DebugReplicasInfo, MemberInfo, RingInfo } from "./api/interface.js";
import { kvRoutes } from "./api/kv-routes.js";
import { clusterRoutes } from "./api/cluster-routes.js";
import { keyText } from "./api/key-segment.js";
import { Router } from "./api/router.js";
import { type Clock, systemClock } from "./clock/clock.js";
import { type Address, formatAddress } from "./config/address.js";
import { type ClusterSettings, defaultClusterSettings, type NodeOptions, type RequestLimits } from "./config/node-options.js";
import { Coordinator } from "./coordinator/coordinator.js";
import { LocalReplica } from "./coordinator/local-replica.js";
import { encodeContext, join } from "./core/causality/index.js";
import { partitionOf } from "./core/partition.js";
import { type RingView, singleNodeRing } from "./core/ring.js";
import { isTombstoneOnly, liveSiblings } from "./core/stored-object.js";
import { ConfigError } from "./errors.js";
import type { Logger } from "./log/logger.js";
import { NodeMetrics } from "./metrics/node-metrics.js";
import { loadOrCreateMeta, type NodeIdentity } from "./node-meta.js";
import { type Random, systemRandom } from "./random/random.js";
import type { StorageEngine } from "./storage/engine.js";
import { openLmdbEngine } from "./storage/lmdb-engine.js";

export interface NodeComponents {
  clock: Clock;
  random: Random;
  storage: StorageEngine;
  logger: Logger;
}

/**
 * One ringkv node: storage, replica, coordinator and client API, built from validated options
 * and handed its components. `start()` serves; `stop()` drains and closes.
 */
export class RingkvNode implements ApiNode {
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  private identity: NodeIdentity | undefined;
  private clusterSettings: ClusterSettings | undefined;
  private currentRing: RingView | undefined;
  private coordinatorInstance: Coordinator | undefined;
  private api: ApiServer | undefined;
  private boundHttp: Address | undefined;

  constructor(
    private readonly options: NodeOptions,
    private readonly components: NodeComponents,
  ) {
    this.logger = components.logger;
    this.metrics = new NodeMetrics(options.id, () => components.storage.stats(), { processMetrics: true });
  }

  get id(): string {
    return this.options.id;
  }

  get limits(): RequestLimits {
    return this.options.limits;
  }

  get settings(): ClusterSettings {
    if (this.clusterSettings === undefined) throw new Error("node is not started");
    return this.clusterSettings;
  }

  get coordinator(): Coordinator {
    if (this.coordinatorInstance === undefined) throw new Error("node is not started");
    return this.coordinatorInstance;
  }

  /** The client API address actually bound (a port of 0 in the options picks a free one). */
  get httpAddress(): Address {
    if (this.boundHttp === undefined) throw new Error("node is not started");
    return this.boundHttp;
  }

  async start(): Promise<void> {
    const { clock, random, storage, logger } = this.components;
    const meta = await loadOrCreateMeta(storage, this.options.id, this.options.cluster, defaultClusterSettings, random, clock.nowMs());
    this.identity = meta.identity;
    this.clusterSettings = meta.settings;
    this.currentRing = singleNodeRing(this.options.id, meta.settings.partitions, meta.settings.n);
    const replica = new LocalReplica(
      storage,
      { actor: meta.identity.actor, siblingsMax: this.options.limits.siblingsMax, siblingsWarn: this.options.limits.siblingsWarn },
      logger,
      this.metrics,
    );
    const ring = this.currentRing;
    this.coordinatorInstance = new Coordinator({ nodeId: this.options.id, replica, ring: () => ring, clock });
    this.localReplica = replica;
    const router = new Router([...kvRoutes(this), ...clusterRoutes(this)]);
    this.api = new ApiServer({
      router,
      limits: this.options.httpServer,
      valueBytesMax: this.options.limits.valueBytesMax,
      logger,
      metrics: this.metrics,
    });
    this.boundHttp = await this.api.start(this.options.http);
    logger.info(
      { http: formatAddress(this.boundHttp), dataDir: this.options.dataDir, actor: meta.identity.actor, ...meta.settings },
      "node serving",
    );
  }

  async stop(): Promise<void> {
    await this.api?.stop();
    await this.components.storage.close();
    this.components.logger.info("node stopped");
  }

  private localReplica: LocalReplica | undefined;

  members(): MemberInfo[] {
    return [
      {
        id: this.options.id,
        listen: formatAddress(this.options.listen),
        http: formatAddress(this.httpAddress),
        state: "active",
        status: "up",
      },
    ];
  }

  ring(): RingInfo {
    const ring = this.currentRing;
    if (ring === undefined) throw new Error("node is not started");
    const owners: string[][] = [];
    for (let p = 0; p < ring.partitions; p++) owners.push([...ring.preferenceList(p)]);
    return { partitions: ring.partitions, n: this.settings.n, r: this.settings.r, w: this.settings.w, owners };
  }

  async debugReplicas(key: Uint8Array): Promise<DebugReplicasInfo> {
    const replica = this.localReplica;
    if (replica === undefined) throw new Error("node is not started");
    const partition = partitionOf(key, this.settings.partitions);
    const object = replica.read(partition, key);
    const live = object === undefined ? [] : liveSiblings(object);
    return {
      key: keyText(key),
      partition,
      replicas: [
        {
          id: this.options.id,
          status: "up",
          values: live.map((s) => Buffer.from(s.value).toString("base64")),
          contentTypes: live.map((s) => s.contentType),
          deleted: object !== undefined && isTombstoneOnly(object),
          context: object === undefined || object.entries.length === 0 ? null : encodeContext(join(object)),
        },
      ],
      fallbacks: [],
    };
  }
}

/** Builds a node with real components: the data directory, LMDB, the system clock. */
export async function createNode(options: NodeOptions, logger: Logger): Promise<RingkvNode> {
  ensureDataDir(options.dataDir);
  const storage = await openLmdbEngine({ path: options.dataDir, mapSizeBytesMax: options.storage.mapSizeBytesMax });
  return new RingkvNode(options, { clock: systemClock, random: systemRandom, storage, logger });
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
