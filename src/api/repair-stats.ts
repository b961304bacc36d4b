import { HINT_EVENTS, type HintEvent, type NodeMetrics } from "../metrics/node-metrics.js";
import { count, figure, list, nullableFigure, object, text } from "./stats-fields.js";

/** Hint targets listed in /stats at most, busiest first; the rest are counted in `targetsOmitted`. */
export const REPAIR_TARGETS_MAX = 32;
const HOUR_MS = 3_600_000;

export type HintCounts = Record<HintEvent, number>;

/** One node's repair work over one span of the repair window. */
export interface RepairSpanStats {
  /** Seconds the span covers: shorter than asked while the node is younger than that. */
  spanSeconds: number;
  /** Hint events here, all targets together. */
  hints: HintCounts;
  /** Partitions compared with a peer (found in sync or exchanged). */
  aaeExchanges: number;
  aaeKeysRepaired: number;
  readRepairs: number;
}

/** The hints this node holds, or held, for one home replica. */
export interface HintTargetStats {
  /** The home replica's id; "" for the targets past the window's per-slot key bound. */
  target: string;
  pending: number;
  lastHour: HintCounts;
  lastDay: HintCounts;
}

/** The `repair` field of GET /stats: the dashboard's 24-hour view of repair. */
export interface RepairStats {
  lastHour: RepairSpanStats;
  lastDay: RepairSpanStats;
  /**
   * Seconds since every partition this node replicates was last compared with every other home
   * replica of it; null until that happened once since start.
   */
  aaeFullPassAgeSeconds: number | null;
  targets: HintTargetStats[];
  targetsOmitted: number;
}

/** This node's repair figures, from its metrics' windows, at `nowMs`. */
export function repairStats(metrics: NodeMetrics, nowMs: number): RepairStats {
  const slotMs = metrics.hintWindow.slotMs;
  const daySlots = metrics.hintWindow.slotCount;
  // Whole slots covering an hour, plus the one still filling.
  const hourSlots = Math.min(daySlots, Math.ceil(HOUR_MS / slotMs) + 1);
  const hourHints = metrics.hintWindow.totals(nowMs, hourSlots).byKey;
  const dayHints = metrics.hintWindow.totals(nowMs, daySlots).byKey;
  const pending = metrics.hintsPending();
  const ids = new Set([...pending.keys(), ...dayHints.keys()]);
  const all = [...ids].map((target) => ({
    target,
    pending: pending.get(target) ?? 0,
    lastHour: countsOf(hourHints.get(target)),
    lastDay: countsOf(dayHints.get(target)),
  }));
  const activity = (t: HintTargetStats): number =>
    t.pending + HINT_EVENTS.reduce((sum, e) => sum + t.lastDay[e], 0);
  all.sort((a, b) => activity(b) - activity(a) || a.target.localeCompare(b.target));
  const span = (spanSlots: number, hints: Map<string, HintCounts>): RepairSpanStats => {
    const node = metrics.repairTotals(nowMs, spanSlots);
    return {
      spanSeconds: node.spanSeconds,
      hints: sumCounts(hints.values()),
      aaeExchanges: node.aaeExchanges,
      aaeKeysRepaired: node.aaeKeysRepaired,
      readRepairs: node.readRepairs,
    };
  };
  return {
    lastHour: span(hourSlots, hourHints),
    lastDay: span(daySlots, dayHints),
    aaeFullPassAgeSeconds: metrics.aaeFullPassAgeSeconds(),
    targets: all.slice(0, REPAIR_TARGETS_MAX),
    targetsOmitted: Math.max(0, all.length - REPAIR_TARGETS_MAX),
  };
}

function countsOf(counts: HintCounts | undefined): HintCounts {
  return {
    stored: counts?.stored ?? 0,
    delivered: counts?.delivered ?? 0,
    expired: counts?.expired ?? 0,
    refused: counts?.refused ?? 0,
  };
}

function sumCounts(all: Iterable<HintCounts>): HintCounts {
  const sum = countsOf(undefined);
  for (const c of all) for (const e of HINT_EVENTS) sum[e] += c[e];
  return sum;
}

/** Checks the `repair` field of a /stats body from another member; throws BadStatsError naming the field. */
export function parseRepairStats(value: unknown): RepairStats {
  const body = object(value, "repair");
  const targets = list(body.targets, "repair.targets", REPAIR_TARGETS_MAX).map((item, i) => {
    const t = object(item, `repair.targets[${i}]`);
    return {
      target: text(t.target, `repair.targets[${i}].target`, 0, 256),
      pending: count(t.pending, `repair.targets[${i}].pending`),
      lastHour: parseCounts(t.lastHour, `repair.targets[${i}].lastHour`),
      lastDay: parseCounts(t.lastDay, `repair.targets[${i}].lastDay`),
    };
  });
  return {
    lastHour: parseSpan(body.lastHour, "repair.lastHour"),
    lastDay: parseSpan(body.lastDay, "repair.lastDay"),
    aaeFullPassAgeSeconds: nullableFigure(body.aaeFullPassAgeSeconds, "repair.aaeFullPassAgeSeconds"),
    targets,
    targetsOmitted: count(body.targetsOmitted, "repair.targetsOmitted"),
  };
}

function parseSpan(value: unknown, what: string): RepairSpanStats {
  const s = object(value, what);
  return {
    spanSeconds: figure(s.spanSeconds, `${what}.spanSeconds`),
    hints: parseCounts(s.hints, `${what}.hints`),
    aaeExchanges: count(s.aaeExchanges, `${what}.aaeExchanges`),
    aaeKeysRepaired: count(s.aaeKeysRepaired, `${what}.aaeKeysRepaired`),
    readRepairs: count(s.readRepairs, `${what}.readRepairs`),
  };
}

function parseCounts(value: unknown, what: string): HintCounts {
  const c = object(value, what);
  const counts = countsOf(undefined);
  for (const e of HINT_EVENTS) counts[e] = count(c[e], `${what}.${e}`);
  return counts;
}
