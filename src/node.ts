import { AccessControl } from "./api/auth/access-control.js";
import type { TokenDirectory } from "./api/auth/interface.js";
import { clusterRoutes } from "./api/cluster-routes.js";
import { faultRoutes } from "./api/fault-routes.js";
import { ApiServer } from "./api/http-server.js";
import type {
  ApiNode,
  DebugReplicasInfo,
  MemberInfo,
  NamespaceDirectory,
  NamespaceKeyCountsReport,
  RingInfo,
} from "./api/interface.js";
import { kvRoutes } from "./api/kv-routes.js";
import { listRoutes } from "./api/list-routes.js";
import { namespaceRoutes } from "./api/namespace-routes.js";
import { Router } from "./api/router.js";
import { tokenRoutes } from "./api/token-routes.js";
import { uiRoutes } from "./api/ui-routes.js";
import type { Clock } from "./clock/clock.js";
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
} from "./config/node-options.js";
import type { Coordinator } from "./coordinator/coordinator.js";
import type { ClusterState } from "./core/membership/cluster-state.js";
import { NotReadyError } from "./errors.js";
import type { ListPage, ListPageRequest } from "./listing/index.js";
import type { Logger } from "./log/logger.js";
import { NodeMetrics } from "./metrics/node-metrics.js";
import type { FaultController } from "./net/index.js";
import type { Transport } from "./net/transport.js";
import { debugReplicasOf, membersOf, ringOf } from "./node/api-model.js";
import { openNodeStart, resolveCluster } from "./node/bootstrap.js";
import type { CertificateSource } from "./node/certificate-files.js";
import { leaveCluster, removeMember } from "./node/membership-actions.js";
import { MetadataNamespaces } from "./node/metadata-namespaces.js";
import { MetadataTokens } from "./node/metadata-tokens.js";
import { NamespaceKeyCounts } from "./node/namespace-key-counts.js";
import { buildServices, type NodeServices, protocolLimits } from "./node/services.js";
import { NodeMeta } from "./node-meta.js";
import { PeerClient, PeerServer } from "./protocol/index.js";
import type { Random } from "./random/random.js";
import type { StorageEngine } from "./storage/engine.js";

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
  /** The node's certificate files (real processes only); none: plaintext on both ports. */
  certificates?: CertificateSource;
  /** SHA-256 of the --admin-token-file token (read by real-components.ts); none: no admin token. */
  adminTokenHash?: Buffer;
}

const STARTING = "the node is still starting; retry shortly";

/**
 * One ringkv node, built from validated options and handed its components. `start()` opens the
 * node's identity, starts the transport (peer messages get `not_ready` until the services
 * exist), binds the client API, finds its cluster, builds its services whole and serves;
 * `stop()` drains and closes. The parts live in src/node/ and src/protocol/.
 */
export class RingkvNode implements ApiNode {
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  private readonly peerServer: PeerServer;
  private services: NodeServices | undefined;
  private api: ApiServer | undefined;
  private boundHttp: Address | undefined;
  /** The cluster's client tokens (in the cluster metadata), once the services run. */
  private tokenDirectory: TokenDirectory | undefined;
  /** The namespaces' properties (in the cluster metadata), once the services run. */
  private namespaceDirectory: NamespaceDirectory | undefined;
  private keyCounts: NamespaceKeyCounts | undefined;
  private markDeparted: () => void = () => {};
  /** Resolves once this node has left the cluster (after a leave, or when it was removed) and handed off its hints. */
  readonly departed: Promise<void> = new Promise((resolve) => {
    this.markDeparted = resolve;
  });

  constructor(
    private readonly options: NodeOptions,
    private readonly components: NodeComponents,
  ) {
    this.logger = components.logger;
    this.metrics = new NodeMetrics(options.id, () => components.storage.stats(), {
      processMetrics: components.processMetrics ?? true,
      eventLoopSampleIntervalMs: options.metrics.eventLoopSampleIntervalMs,
      nowMs: () => components.clock.nowMs(),
    });
    this.peerServer = new PeerServer(components.logger, (type) =>
      this.metrics.peerMessagesRefused.inc({ type }),
    );
  }

  get id(): string {
    return this.options.id;
  }

  get limits(): RequestLimits {
    return this.options.limits;
  }

  /** True once the node has joined its cluster and serves requests. */
  get ready(): boolean {
    return this.services !== undefined;
  }

  private get running(): NodeServices {
    if (this.services === undefined) throw new NotReadyError(STARTING);
    return this.services;
  }

  get settings(): ClusterSettings {
    return this.running.settings;
  }

  get coordinator(): Coordinator {
    return this.running.coordinator;
  }

  /** The running node's parts, for tests that drive one directly (e.g. a coordinator with a stale ring). */
  get parts(): NodeServices {
    return this.running;
  }

  /** The client API address actually bound (a port of 0 in the options picks a free one). */
  get httpAddress(): Address {
    if (this.boundHttp === undefined) throw new Error("node is not started");
    return this.boundHttp;
  }

  get clusterState(): ClusterState {
    return this.running.gossiper.current;
  }

  async start(): Promise<void> {
    const { clock, random, storage, logger, transport } = this.components;
    const start = await openNodeStart(this.options.id, storage, random, clock, logger);
    await transport.start(this.peerServer);
    // The HTTP server binds before the cluster is joined, so a port in use fails fast; requests
    // that arrive before the services exist get a 503.
    if (this.components.httpServer !== false) await this.startApi();
    // Only join_info is sent before the cluster's settings are known; its reply carries them.
    const bootstrapPeers = new PeerClient(transport, protocolLimits(this.options, defaultClusterSettings));
    const { settings, state } = await resolveCluster({
      options: this.options,
      start,
      listen: transport.address,
      http: this.httpText(),
      peers: bootstrapPeers,
      clock,
      logger,
    });
    await start.meta.storeClusterState(state);
    const services = buildServices({
      ...this.components,
      options: this.options,
      metrics: this.metrics,
      start,
      settings,
      state,
    });
    this.peerServer.install(services.limits, services.handlers);
    this.tokenDirectory = new MetadataTokens(services.metadata);
    this.namespaceDirectory = new MetadataNamespaces(services.metadata);
    this.keyCounts = new NamespaceKeyCounts(storage, clock, settings.partitions);
    services.start();
    void services.departure.departed.then(this.markDeparted);
    this.services = services;
    logger.info(
      {
        http: this.httpText(),
        listen: transport.address,
        dataDir: this.options.dataDir,
        actor: start.identity.actor,
        generation: start.generation,
        ...settings,
      },
      "node serving",
    );
  }

  /** Binds the client HTTP API (kv, cluster, UI and, when enabled, fault routes). */
  private async startApi(): Promise<void> {
    this.api = new ApiServer({
      nodeId: this.id,
      router: new Router([
        ...kvRoutes(this),
        ...listRoutes(this),
        ...namespaceRoutes(this),
        ...clusterRoutes(this),
        ...uiRoutes(this),
        ...tokenRoutes({
          tokens: () => {
            if (this.tokenDirectory === undefined) throw new NotReadyError(STARTING);
            return this.tokenDirectory;
          },
          nowMs: () => this.components.clock.nowMs(),
        }),
        ...(this.components.faults === undefined ? [] : faultRoutes(this.components.faults)),
      ]),
      limits: this.options.httpServer,
      valueBytesMax: this.options.limits.valueBytesMax,
      logger: this.components.logger,
      metrics: this.metrics,
      tls: this.components.certificates?.http(),
      access: new AccessControl(
        {
          auth: this.options.security.auth,
          metricsPublic: this.options.security.metricsPublic,
          failures: {
            failuresPerSourceMax: this.options.auth.failuresPerSourceMax,
            windowMs: this.options.auth.failureWindowMs,
            sourcesMax: this.options.auth.sourcesMax,
          },
        },
        {
          adminTokenHash: this.components.adminTokenHash,
          tokens: () => this.tokenDirectory,
          nowMs: () => this.components.clock.nowMs(),
          logger: this.components.logger,
          metrics: this.metrics,
        },
      ),
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

  async stop(): Promise<void> {
    const services = this.services;
    services?.stop();
    await this.api?.stop();
    await this.components.transport.stop();
    // A clean stop is recorded only once every write coordinated here is durable here; otherwise
    // the next start draws a new actor (see LocalReplica.coordinateWrite).
    if (services === undefined || (await services.replica.settle()))
      await new NodeMeta(this.components.storage).endRun().catch((error: unknown) => {
        this.components.logger.warn({ err: error }, "could not record a clean stop");
      });
    await this.components.storage.close();
    this.components.logger.info("node stopped");
  }

  /**
   * Re-reads the certificate files (SIGHUP): new connections on both ports use the new ones,
   * open connections and requests in flight are not touched. Throws a ConfigError, changing
   * nothing, when a file is bad.
   */
  reloadCertificates(): void {
    const certificates = this.components.certificates;
    if (certificates === undefined) return;
    certificates.reload();
    const http = certificates.http();
    if (http !== undefined) this.api?.reloadTls(http);
  }

  async leave(): Promise<void> {
    await leaveCluster(this.running.gossiper, this.logger);
  }

  async remove(id: string): Promise<void> {
    await removeMember(this.running.gossiper, this.options.id, id, this.logger);
  }

  /** The id of the member whose inter-node address this is, if known (for fault injection). */
  memberIdAt(address: string): string | undefined {
    return this.services?.view.idAt(address);
  }

  members(): MemberInfo[] {
    return this.services === undefined ? [] : membersOf(this.services, this.options.id, this.httpText());
  }

  ring(): RingInfo {
    return ringOf(this.running);
  }

  ringVersion(): number | undefined {
    return this.services?.gossiper.current.ring?.version;
  }

  nowMs(): number {
    return this.components.clock.nowMs();
  }

  debugReplicas(key: Uint8Array): Promise<DebugReplicasInfo> {
    return debugReplicasOf(this.running, key);
  }

  namespaces(): NamespaceDirectory {
    if (this.namespaceDirectory === undefined) throw new NotReadyError(STARTING);
    return this.namespaceDirectory;
  }

  namespaceKeyCounts(): NamespaceKeyCountsReport | undefined {
    return this.keyCounts?.current();
  }

  listKeys(request: ListPageRequest): Promise<ListPage> {
    return this.running.lister.page(request);
  }
}
