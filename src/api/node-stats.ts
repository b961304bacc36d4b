import type { Counter } from "prom-client";
import { KV_OPERATIONS, type KvOperation, type NodeMetrics } from "../metrics/node-metrics.js";
import type { OperationWindowStats } from "../metrics/rate-window.js";
import type { NamespaceKeyCountsReport } from "./interface.js";
import { parseRepairStats, type RepairStats, repairStats } from "./repair-stats.js";
import { BadStatsError, count, figure, list, nullableFigure, object, text } from "./stats-fields.js";

export { BadStatsError } from "./stats-fields.js";

/** What one node reports about itself at GET /stats: recent request rates and background work. */
export interface NodeStats {
  id: string;
  /** Seconds the request figures cover (the sliding window, shorter just after start). */
  windowSeconds: number;
  kv: Record<KvOperation, OperationWindowStats>;
  hints: {
    /** Hints held here now, all targets together. */
    pending: number;
    /** Totals since the process started. */
    stored: number;
    delivered: number;
    refused: number;
  };
  antiEntropy: {
    /** Totals since the process started. */
    exchanges: number;
    keysRepaired: number;
    /** Seconds since the most recent completed exchange of any partition; null before the first. */
    lastExchangeAgeSeconds: number | null;
    /** Partitions with at least one completed exchange since start. */
    partitionsExchanged: number;
  };
  readRepairs: number;
  /** Hints per target, anti-entropy and read repair over the last hour and the last 24 hours. */
  repair: RepairStats;
  /** Approximate key counts per namespace on this node; absent from nodes that predate them. */
  namespaceKeys?: NamespaceKeyCountsReport;
}

/** Namespaces one /stats body may name (the counting side names at most 64). */
const STATS_NAMESPACES_MAX = 1000;

/** This node's stats, from its own metrics. */
export async function localNodeStats(
  id: string,
  metrics: NodeMetrics,
  namespaceKeys?: NamespaceKeyCountsReport,
): Promise<NodeStats> {
  const now = metrics.nowMs();
  let pending = 0;
  for (const count of metrics.hintsPending().values()) pending += count;
  const ages = [...metrics.aaeExchangeAges().values()];
  return {
    id,
    windowSeconds: metrics.kvWindow.spanSeconds(now),
    kv: metrics.kvWindow.summary(now),
    hints: {
      pending,
      stored: await total(metrics.hintsStored),
      delivered: await total(metrics.hintsDelivered),
      refused: await total(metrics.hintsRefused),
    },
    antiEntropy: {
      exchanges: await total(metrics.aaeExchanges),
      keysRepaired: await total(metrics.aaeKeysRepaired),
      lastExchangeAgeSeconds: ages.length === 0 ? null : Math.min(...ages),
      partitionsExchanged: ages.length,
    },
    readRepairs: await total(metrics.readRepairs),
    repair: repairStats(metrics, now),
    ...(namespaceKeys === undefined ? {} : { namespaceKeys }),
  };
}

async function total<T extends string>(counter: Counter<T>): Promise<number> {
  const { values } = await counter.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/**
 * Checks a /stats body fetched from another member: it crossed the network, so it is data to
 * validate, not a trusted NodeStats. Throws BadStatsError naming the first bad field.
 */
export function parseNodeStats(value: unknown): NodeStats {
  const body = object(value, "body");
  const kvBody = object(body.kv, "kv");
  const kv = {} as Record<KvOperation, OperationWindowStats>;
  for (const op of KV_OPERATIONS) {
    const s = object(kvBody[op], `kv.${op}`);
    kv[op] = {
      count: count(s.count, `kv.${op}.count`),
      errors: count(s.errors, `kv.${op}.errors`),
      opsPerSecond: figure(s.opsPerSecond, `kv.${op}.opsPerSecond`),
      errorsPerSecond: figure(s.errorsPerSecond, `kv.${op}.errorsPerSecond`),
      meanMs: nullableFigure(s.meanMs, `kv.${op}.meanMs`),
      p50Ms: nullableFigure(s.p50Ms, `kv.${op}.p50Ms`),
      p99Ms: nullableFigure(s.p99Ms, `kv.${op}.p99Ms`),
      maxMs: nullableFigure(s.maxMs, `kv.${op}.maxMs`),
    };
  }
  const hints = object(body.hints, "hints");
  const aae = object(body.antiEntropy, "antiEntropy");
  return {
    id: text(body.id, "id", 1, 256),
    windowSeconds: figure(body.windowSeconds, "windowSeconds"),
    kv,
    hints: {
      pending: count(hints.pending, "hints.pending"),
      stored: count(hints.stored, "hints.stored"),
      delivered: count(hints.delivered, "hints.delivered"),
      refused: count(hints.refused, "hints.refused"),
    },
    antiEntropy: {
      exchanges: count(aae.exchanges, "antiEntropy.exchanges"),
      keysRepaired: count(aae.keysRepaired, "antiEntropy.keysRepaired"),
      lastExchangeAgeSeconds: nullableFigure(
        aae.lastExchangeAgeSeconds,
        "antiEntropy.lastExchangeAgeSeconds",
      ),
      partitionsExchanged: count(aae.partitionsExchanged, "antiEntropy.partitionsExchanged"),
    },
    readRepairs: count(body.readRepairs, "readRepairs"),
    repair: parseRepairStats(body.repair),
    ...(body.namespaceKeys === undefined ? {} : { namespaceKeys: parseNamespaceKeys(body.namespaceKeys) }),
  };
}

function parseNamespaceKeys(value: unknown): NamespaceKeyCountsReport {
  const body = object(value, "namespaceKeys");
  if (typeof body.complete !== "boolean") throw new BadStatsError("namespaceKeys.complete is not a boolean");
  return {
    namespaces: list(body.namespaces, "namespaceKeys.namespaces", STATS_NAMESPACES_MAX).map((item, i) => {
      const entry = object(item, `namespaceKeys.namespaces[${i}]`);
      return {
        name: text(entry.name, `namespaceKeys.namespaces[${i}].name`, 1, 64),
        keys: count(entry.keys, `namespaceKeys.namespaces[${i}].keys`),
      };
    }),
    complete: body.complete,
    countedAtMs: count(body.countedAtMs, "namespaceKeys.countedAtMs"),
  };
}
