import { defaultNodeOptions } from "../../src/config/node-options.js";
import { MemoryNetwork } from "../../src/net/memory-transport.js";
import { Trace } from "./history.js";
import { describeKey } from "./key-watch.js";
import { SimClock } from "./sim-clock.js";
import { simLogger } from "./sim-logger.js";
import { SimNode, type SimNodeEnv } from "./sim-node.js";
import { SimRandom } from "./sim-random.js";

export interface SimClusterOptions {
  seed: number;
  partitions: number;
  n: number;
  tombstoneGraceMs: number;
  aaeIntervalMs: number;
  /** Disk syncs complete this long after they are requested (ms, inclusive). */
  syncDelayMs: readonly [number, number];
  /** Print the trace and node logs (info and above) as the run goes. */
  verbose: boolean;
  /** Where verbose output goes. */
  print: (line: string) => void;
  /** Print what every node holds of this key whenever it changes (debugging). */
  watchKey?: string;
  /** The stored key of a key label, for watchKey (default: its UTF-8 bytes). */
  storedKey?: (label: string) => Uint8Array;
  /** Hints a node holds per target (0: none, as if every hint were lost); default the node's default. */
  hintsPerTargetMax?: number;
  /** Undelivered hints are dropped this long after they were stored; default the smaller of 3 h and half the grace. */
  hintWindowMs?: number;
}

/**
 * A whole ringkv cluster in one process: real RingkvNodes over a MemoryNetwork and MemoryEngines,
 * on one virtual clock, every random choice drawn from streams of one seed.
 */
export class SimCluster {
  readonly sim: SimClock;
  readonly random: SimRandom;
  readonly network: MemoryNetwork;
  readonly trace: Trace;
  /** Every node ever created, in creation order. */
  readonly nodes: SimNode[] = [];
  /** What went wrong: each entry fails the seed. */
  readonly problems: string[] = [];
  private readonly env: SimNodeEnv;

  constructor(readonly options: SimClusterOptions) {
    this.sim = new SimClock((error) => this.problem(`a timer callback threw: ${stackOf(error)}`));
    this.random = new SimRandom(options.seed);
    this.trace = new Trace(() => this.sim.nowMs(), options.verbose ? options.print : undefined);
    this.network = new MemoryNetwork({ clock: this.sim, random: this.random.fork("network") });
    const logger = simLogger({
      nowMs: () => this.sim.nowMs(),
      level: options.verbose ? "info" : "warn",
      write: (line) => {
        if (options.verbose) options.print(`  log ${line.trimEnd()}`);
      },
      onProblem: (description) => this.problem(description),
    });
    this.env = {
      sim: this.sim,
      network: this.network,
      random: this.random,
      logger,
      // Each node gets its own id, addresses, data directory and seeds (SimNode).
      options: defaultNodeOptions({
        id: "sim",
        dataDir: "/sim",
        clusterName: "sim",
        cluster: { n: options.n, partitions: options.partitions },
        limits: { hintsPerTargetMax: options.hintsPerTargetMax },
        logLevel: "info",
        tombstones: { graceMs: options.tombstoneGraceMs },
        handoff: {
          hintWindowMs:
            options.hintWindowMs ?? Math.min(3 * 3_600_000, Math.floor(options.tombstoneGraceMs / 2)),
        },
        antiEntropy: { exchangeIntervalMs: options.aaeIntervalMs },
      }),
      syncDelayMs: options.syncDelayMs,
      trace: (line) => this.trace.add(line),
      problem: (description) => this.problem(description),
    };
    const watched = options.watchKey;
    if (watched !== undefined) {
      let last = "";
      this.sim.afterEach = () => {
        const now = describeKey(this.nodes, watched, options.partitions, options.storedKey);
        if (now !== last) options.print(`${String(this.sim.nowMs()).padStart(7)} WATCH ${now}`);
        last = now;
      };
    }
  }

  problem(description: string): void {
    this.problems.push(`[t=${this.sim.nowMs()}] ${description}`);
    this.trace.add(`PROBLEM ${description.split("\n")[0]}`);
  }

  /** Creates a node (fresh storage) and starts it; it joins through `seeds` (none: it forms the cluster). */
  addNode(id: string, seeds: readonly SimNode[]): SimNode {
    const node = new SimNode(
      id,
      seeds.map((s) => s.address),
      this.env,
    );
    this.nodes.push(node);
    void node.start();
    return node;
  }

  /** Nodes that have not left for good. */
  get members(): SimNode[] {
    return this.nodes.filter((n) => !n.isGone);
  }

  /** Nodes a client can reach now. */
  get serving(): SimNode[] {
    return this.nodes.filter((n) => n.serving !== undefined);
  }

  node(id: string): SimNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new RangeError(`no node ${id}`);
    return node;
  }
}

export function stackOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}
