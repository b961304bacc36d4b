import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { StorageStats } from "../storage/engine.js";
import { CountWindow, type CountWindowOptions, defaultRepairWindowOptions } from "./count-window.js";
import { defaultRateWindowOptions, RateWindow, type RateWindowOptions } from "./rate-window.js";

/** What happens to hints, counted per target in the repair window. */
export type HintEvent = "stored" | "delivered" | "expired" | "refused";
export const HINT_EVENTS: readonly HintEvent[] = ["stored", "delivered", "expired", "refused"];
/** Repair work of the node as a whole, counted in the repair window. */
export type NodeRepairEvent = "aaeExchanges" | "aaeKeysRepaired" | "readRepairs";
export const NODE_REPAIR_EVENTS: readonly NodeRepairEvent[] = [
  "aaeExchanges",
  "aaeKeysRepaired",
  "readRepairs",
];
/** The one key of the node-level repair window. */
const NODE_KEY = "node";

export type KvOperation = "get" | "put" | "delete";
export const KV_OPERATIONS: readonly KvOperation[] = ["get", "put", "delete"];
/** Outcomes of a key-value operation that are answers, not failures (see kv-routes.ts). */
const KV_SUCCESS_OUTCOMES: ReadonlySet<string> = new Set(["ok", "not_found", "siblings"]);

/** The node's view of its cluster, sampled when /metrics is scraped. */
export interface ClusterViewSample {
  members: { state: string; status: string }[];
  ringVersion: number;
  partitionsOwned: number;
  transferRemaining: number;
  /** Partitions of the current ring whose home replicas share a zone though N zones exist. */
  zoneSharedPartitions: number;
}

export interface NodeMetricsOptions {
  /** Also export Node.js process metrics (CPU, memory, event loop), once per registry. */
  processMetrics: boolean;
  /**
   * How often the event-loop delay is sampled for the process metrics (prom-client's default is
   * 10 ms). Each sample is a timer wake-up: at 10 ms, 100 a second cost an idle node about 0.5%
   * of a core on their own (BENCHMARKS.md, idle cost), more than its gossip.
   */
  eventLoopSampleIntervalMs?: number;
  /** The node's clock, for the recent-rates window; the system clock when absent. */
  nowMs?: () => number;
  rateWindow?: RateWindowOptions;
  /** The 24-hour window of repair work (5-minute slots unless given). */
  repairWindow?: CountWindowOptions;
}

/**
 * One registry per node (no global default registry), so several nodes in one process (tests,
 * simulation) keep separate numbers. Names carry their units.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<"route" | "method" | "status">;
  readonly clientConnections: Counter<"protocol">;
  readonly kvRequests: Counter<"op" | "outcome">;
  readonly kvDurationSeconds: Histogram<"op">;
  readonly siblingsWarnings: Counter;
  readonly siblingsRefused: Counter;
  readonly requestsRejected: Counter<"reason">;
  /** Promise rejections nothing handled (bugs), logged and survived (the `ringkv start` process). */
  readonly unhandledRejections: Counter;
  /** Client requests refused for authentication or authorization, by reason. */
  readonly authFailures: Counter<"reason">;
  readonly writesForwarded: Counter;
  readonly readRepairs: Counter;
  readonly hintsStored: Counter<"target">;
  readonly ownershipRefusals: Counter<"kind">;
  readonly writesRerouted: Counter;
  readonly readsSpeculative: Counter;
  readonly hintsDelivered: Counter<"target">;
  readonly hintsRefused: Counter<"target">;
  readonly hintsExpired: Counter<"target">;
  readonly objectsRefused: Counter;
  readonly aaeExchanges: Counter;
  readonly tombstonesReaped: Counter;
  readonly keysReclaimed: Counter;
  readonly aaeKeysRepaired: Counter;
  readonly peerFactsRefused: Counter<"reason">;
  readonly peerMessagesRefused: Counter<"type">;
  /** Key-value operations over the last few seconds, for /stats and the dashboard. */
  readonly kvWindow: RateWindow<KvOperation>;
  /** Hint events per target over the last 24 hours, for /stats and the dashboard. */
  readonly hintWindow: CountWindow<HintEvent>;
  /** Anti-entropy and read repair over the last 24 hours, for /stats and the dashboard. */
  readonly repairWindow: CountWindow<NodeRepairEvent>;
  readonly nowMs: () => number;
  /** Set by the node once anti-entropy runs: seconds since each partition's last completed exchange. */
  aaeExchangeAges: () => Map<number, number> = () => new Map();
  /**
   * Set by the node once anti-entropy runs: seconds since every partition this node is a home
   * replica of was last compared with every other home replica; null until that happened once.
   */
  aaeFullPassAgeSeconds: () => number | null = () => null;
  /** Set by the node once it has joined: its view of the cluster, read when /metrics is scraped. */
  clusterView: () => ClusterViewSample = () => ({
    members: [],
    ringVersion: 0,
    partitionsOwned: 0,
    transferRemaining: 0,
    zoneSharedPartitions: 0,
  });
  /** Set by the node once its hint store exists; read when /metrics is scraped. */
  hintsPending: () => Map<string, number> = () => new Map();

  constructor(nodeId: string, storageStats: () => StorageStats, options: NodeMetricsOptions) {
    this.nowMs = options.nowMs ?? (() => Date.now());
    this.kvWindow = new RateWindow(
      KV_OPERATIONS,
      options.rateWindow ?? defaultRateWindowOptions,
      this.nowMs(),
    );
    const repairWindow = options.repairWindow ?? defaultRepairWindowOptions;
    this.hintWindow = new CountWindow(HINT_EVENTS, repairWindow, this.nowMs());
    this.repairWindow = new CountWindow(NODE_REPAIR_EVENTS, repairWindow, this.nowMs());
    this.registry.setDefaultLabels({ node: nodeId });
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: "ringkv_http_requests_total",
      help: "HTTP requests answered, by route, method and status code",
      labelNames: ["route", "method", "status"],
      registers,
    });
    this.clientConnections = new Counter({
      name: "ringkv_client_connections_total",
      help: "Client connections accepted on the client port, by protocol (http, binary)",
      labelNames: ["protocol"],
      registers,
    });
    this.kvRequests = new Counter({
      name: "ringkv_kv_requests_total",
      help: "Key-value operations, by operation and outcome (ok, not_found, siblings, error code)",
      labelNames: ["op", "outcome"],
      registers,
    });
    this.kvDurationSeconds = new Histogram({
      name: "ringkv_kv_duration_seconds",
      help: "Latency of key-value operations as the client sees it, from request to response",
      labelNames: ["op"],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    });
    this.siblingsWarnings = new Counter({
      name: "ringkv_siblings_warnings_total",
      help: "Writes that left a key with more siblings than the warning threshold",
      registers,
    });
    this.siblingsRefused = new Counter({
      name: "ringkv_siblings_refused_total",
      help: "Writes refused because the key would exceed the sibling limit",
      registers,
    });
    this.requestsRejected = new Counter({
      name: "ringkv_requests_rejected_total",
      help: "Requests refused before handling, by reason (overloaded, shutting_down, unwritable_response)",
      labelNames: ["reason"],
      registers,
    });
    this.unhandledRejections = new Counter({
      name: "ringkv_unhandled_rejections_total",
      help: "Promise rejections no code handled (a bug): each logged, the node keeps serving",
      registers,
    });
    this.authFailures = new Counter({
      name: "ringkv_auth_failures_total",
      help: "Client requests refused by authentication or authorization, by reason (unauthenticated, forbidden, rate_limited, cross_origin)",
      labelNames: ["reason"],
      registers,
    });
    this.readRepairs = new Counter({
      name: "ringkv_read_repairs_total",
      help: "Merged histories sent to home replicas whose reply to a read was behind",
      registers,
    });
    this.writesForwarded = new Counter({
      name: "ringkv_writes_forwarded_total",
      help: "Writes received by a node that is not a home replica of the key and forwarded to one (a ring-aware client avoids this hop)",
      registers,
    });
    this.ownershipRefusals = new Counter({
      name: "ringkv_ownership_refusals_total",
      help: "Replicated writes, hints and forwarded writes this node refused because its ring says it is no replica of the partition (or the hint's target is none), by kind",
      labelNames: ["kind"],
      registers,
    });
    this.readsSpeculative = new Counter({
      name: "ringkv_reads_speculative_total",
      help: "Reads this node coordinated that asked more home replicas than their r (one of the first failed, none held the key, or they were slower than reads.speculativeRetryMs)",
      registers,
    });
    this.writesRerouted = new Counter({
      name: "ringkv_writes_rerouted_total",
      help: "Writes this node routed again after a replica refused them under a newer ring, which this node then learned",
      registers,
    });
    this.hintsStored = new Counter({
      name: "ringkv_hints_stored_total",
      help: "Writes this node stored as hints, by the home replica (target) that was down, slow or refused them",
      labelNames: ["target"],
      registers,
    });
    this.hintsDelivered = new Counter({
      name: "ringkv_hints_delivered_total",
      help: "Hints delivered to their home replica (and then deleted here), by target",
      labelNames: ["target"],
      registers,
    });
    this.objectsRefused = new Counter({
      name: "ringkv_objects_refused_total",
      help: "Writes refused because they would have left a key's object larger than --max-object-bytes",
      registers,
    });
    this.hintsExpired = new Counter({
      name: "ringkv_hints_expired_total",
      help: "Hints dropped undelivered once older than --hint-window-ms, by target (anti-entropy repairs what they held)",
      labelNames: ["target"],
      registers,
    });
    this.hintsRefused = new Counter({
      name: "ringkv_hints_refused_total",
      help: "Hints this node refused because it already held the maximum for that target, by target",
      labelNames: ["target"],
      registers,
    });
    this.tombstonesReaped = new Counter({
      name: "ringkv_tombstones_reaped_total",
      help: "Tombstones deleted for good: past the grace period and held by every home replica",
      registers,
    });
    this.keysReclaimed = new Counter({
      name: "ringkv_reclaimed_keys_total",
      help: "Keys of partitions this node gave away, deleted here once every home replica acknowledged them",
      registers,
    });
    this.aaeExchanges = new Counter({
      name: "ringkv_aae_exchanges_total",
      help: "Completed anti-entropy exchanges (one partition with one other home replica)",
      registers,
    });
    this.aaeKeysRepaired = new Counter({
      name: "ringkv_aae_keys_repaired_total",
      help: "Keys anti-entropy found different between two replicas and merged",
      registers,
    });
    this.peerFactsRefused = new Counter({
      name: "ringkv_peer_facts_refused_total",
      help: "Membership facts a peer sent that it may not assert (about another live member, about this node, out of bounds), by reason",
      labelNames: ["reason"],
      registers,
    });
    this.peerMessagesRefused = new Counter({
      name: "ringkv_peer_messages_refused_total",
      help: "Peer messages refused as malformed or out of bounds (a counter above 2^40, ...), by message type",
      labelNames: ["type"],
      registers,
    });
    const metrics = this;
    new Gauge({
      name: "ringkv_aae_last_exchange_age_seconds",
      help: "Seconds since the last completed anti-entropy exchange, per partition this node replicates",
      labelNames: ["partition"],
      registers,
      collect() {
        this.reset();
        for (const [partition, age] of metrics.aaeExchangeAges())
          this.set({ partition: String(partition) }, age);
      },
    });
    new Gauge({
      name: "ringkv_aae_full_pass_age_seconds",
      help: "Seconds since every partition this node replicates was last compared with every other home replica (absent until that happened once)",
      registers,
      collect() {
        this.reset();
        const age = metrics.aaeFullPassAgeSeconds();
        if (age !== null) this.set(age);
      },
    });
    new Gauge({
      name: "ringkv_hints_pending",
      help: "Hints held on this node, by the home replica they are for",
      labelNames: ["target"],
      registers,
      collect() {
        this.reset();
        for (const [target, count] of metrics.hintsPending()) this.set({ target }, count);
      },
    });
    new Gauge({
      name: "ringkv_members",
      help: "Members as this node sees them, by ring state (joining, active, leaving, left) and failure-detector status (up, suspect, down)",
      labelNames: ["state", "status"],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, { state: string; status: string; count: number }>();
        for (const m of metrics.clusterView().members) {
          const key = `${m.state}/${m.status}`;
          const entry = counts.get(key) ?? { state: m.state, status: m.status, count: 0 };
          entry.count++;
          counts.set(key, entry);
        }
        for (const e of counts.values()) this.set({ state: e.state, status: e.status }, e.count);
      },
    });
    new Gauge({
      name: "ringkv_ring_version",
      help: "Version of the ring this node routes by; it increases on every ownership change",
      registers,
      collect() {
        this.set(metrics.clusterView().ringVersion);
      },
    });
    new Gauge({
      name: "ringkv_ring_zone_shared_partitions",
      help: "Partitions of the current ring whose home replicas share a zone although the owners span at least N zones (zone-aware claim fell back; see docs/operations.md)",
      registers,
      collect() {
        this.set(metrics.clusterView().zoneSharedPartitions);
      },
    });
    new Gauge({
      name: "ringkv_partitions_owned",
      help: "Partitions this node is the first owner of in the current ring",
      registers,
      collect() {
        this.set(metrics.clusterView().partitionsOwned);
      },
    });
    new Gauge({
      name: "ringkv_transfer_partitions_remaining",
      help: "Partitions this node still has to receive for a pending ring change (0 when none is pending)",
      registers,
      collect() {
        this.set(metrics.clusterView().transferRemaining);
      },
    });
    new Gauge({
      name: "ringkv_storage_entries",
      help: "Entries held by the storage engine, by store (objects, hints, meta)",
      labelNames: ["store"],
      registers,
      collect() {
        const stats = storageStats();
        for (const [store, s] of Object.entries(stats.stores)) this.set({ store }, s.entries);
      },
    });
    new Gauge({
      name: "ringkv_storage_disk_bytes",
      help: "Bytes the storage engine uses on disk",
      registers,
      collect() {
        this.set(storageStats().diskBytes);
      },
    });
    if (options.processMetrics)
      collectDefaultMetrics({
        register: this.registry,
        prefix: "ringkv_",
        eventLoopMonitoringPrecision: options.eventLoopSampleIntervalMs ?? 100,
      });
  }

  /** A write was stored as a hint for `target` (or merged into one held for it). */
  hintStored(target: string): void {
    this.hintsStored.inc({ target });
    this.hintWindow.add(target, "stored", 1, this.nowMs());
  }

  hintRefused(target: string): void {
    this.hintsRefused.inc({ target });
    this.hintWindow.add(target, "refused", 1, this.nowMs());
  }

  hintsDeliveredTo(target: string, count: number): void {
    this.hintsDelivered.inc({ target }, count);
    this.hintWindow.add(target, "delivered", count, this.nowMs());
  }

  hintsExpiredFor(target: string, count: number): void {
    this.hintsExpired.inc({ target }, count);
    this.hintWindow.add(target, "expired", count, this.nowMs());
  }

  /** One partition compared with one peer, found in sync (0 keys) or exchanged. */
  aaeExchanged(keysRepaired: number): void {
    const now = this.nowMs();
    this.aaeExchanges.inc();
    this.aaeKeysRepaired.inc(keysRepaired);
    this.repairWindow.add(NODE_KEY, "aaeExchanges", 1, now);
    this.repairWindow.add(NODE_KEY, "aaeKeysRepaired", keysRepaired, now);
  }

  readRepaired(): void {
    this.readRepairs.inc();
    this.repairWindow.add(NODE_KEY, "readRepairs", 1, this.nowMs());
  }

  /** The node's repair work over the last `spanSlots` slots of the repair window. */
  repairTotals(nowMs: number, spanSlots: number): { spanSeconds: number } & Record<NodeRepairEvent, number> {
    const span = this.repairWindow.totals(nowMs, spanSlots);
    const node = span.byKey.get(NODE_KEY);
    return {
      spanSeconds: span.spanSeconds,
      aaeExchanges: node?.aaeExchanges ?? 0,
      aaeKeysRepaired: node?.aaeKeysRepaired ?? 0,
      readRepairs: node?.readRepairs ?? 0,
    };
  }

  observeKv(op: KvOperation, outcome: string, durationSeconds: number): void {
    this.kvRequests.inc({ op, outcome });
    this.kvDurationSeconds.observe({ op }, durationSeconds);
    this.kvWindow.record(op, durationSeconds * 1000, !KV_SUCCESS_OUTCOMES.has(outcome), this.nowMs());
  }
}
