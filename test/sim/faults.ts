import type { LinkFault } from "../../src/net/memory-transport.js";
import type { SimCluster } from "./sim-cluster.js";
import type { SimNode } from "./sim-node.js";
import type { SimRandom } from "./sim-random.js";

export type FaultKind =
  | "crash"
  | "crash-many"
  | "pause"
  | "partition"
  | "loss"
  | "delay"
  | "duplicate"
  | "flaky-links"
  | "join"
  | "leave"
  | "crash-lose-hints";

export interface FaultOptions {
  /** A new fault starts every uniform random [min, max] ms. */
  gapMs: readonly [number, number];
  /** How long a crash, pause, partition or network fault lasts (ms, inclusive). */
  durationMs: readonly [number, number];
  /** Nodes crashed or paused at once, at most. */
  impairedMax: number;
  /** Members (not leaving) kept at least: leaves stop here. */
  membersMin: number;
  /** Nodes joined over the run, at most. */
  joinsMax: number;
  /** Leaves over the run, at most. */
  leavesMax: number;
  /** Weights of the fault kinds. */
  weights: Readonly<Record<FaultKind, number>>;
}

export const defaultFaultWeights: Readonly<Record<FaultKind, number>> = {
  crash: 4,
  "crash-many": 1,
  pause: 3,
  partition: 3,
  loss: 2,
  delay: 2,
  duplicate: 1,
  "flaky-links": 2,
  join: 1,
  leave: 1,
  // Off by default, so the draws of every existing seed stay what they were; the runs on the
  // smallest topology (3 nodes, N=3: no fallback) turn it on.
  "crash-lose-hints": 0,
};

/**
 * The nemesis: while the workload runs, starts faults at random times, each drawn from the
 * seeded Random: crash and restart (of one node, or of several at once, as a power cut of a
 * rack: what they had not synced yet is lost on all of them), pause and resume, a partition into two random sides, message
 * loss, delay (which reorders), duplication, a mix of them on random links, a node joining, a
 * node leaving. Each fault undoes itself after its duration; `healAll` undoes every one at once.
 */
export class Nemesis {
  private stopped = false;
  private impaired = new Set<string>();
  private partitioned = false;
  private linksFaulty = false;
  private joins = 0;
  private leaves = 0;
  /** Faults started, by kind (for the run's summary). */
  readonly counts = new Map<FaultKind, number>();

  constructor(
    private readonly cluster: SimCluster,
    private readonly random: SimRandom,
    private readonly options: FaultOptions,
    private readonly nextNodeId: () => string,
  ) {}

  /** Starts faults until `untilMs` (or stop()); resolves when the last one was started. */
  async run(untilMs: number): Promise<void> {
    const { sim } = this.cluster;
    const [gapMin, gapMax] = this.options.gapMs;
    for (;;) {
      await sim.sleep(this.random.int(gapMin, gapMax));
      if (this.stopped || sim.nowMs() >= untilMs) return;
      this.startOne();
    }
  }

  /** Stops starting faults and undoes every fault in force: the network heals, every node runs. */
  healAll(): void {
    this.stopped = true;
    const { network, trace } = this.cluster;
    trace.add("heal all");
    network.heal();
    network.clearLinkFaults();
    this.partitioned = false;
    this.linksFaulty = false;
    for (const node of this.cluster.nodes) {
      if (node.state === "paused") node.resume();
      if (node.state === "crashed") void node.start();
    }
    this.impaired.clear();
  }

  private startOne(): void {
    const kind = this.random.weighted(
      Object.entries(this.options.weights).filter(([, w]) => w > 0) as [FaultKind, number][],
    );
    const started = this.start(kind);
    if (started) this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  private duration(): number {
    const [min, max] = this.options.durationMs;
    return this.random.int(min, max);
  }

  /** After `ms`, runs `undo` unless everything was healed meanwhile. */
  private later(ms: number, undo: () => void): void {
    this.cluster.sim.setTimeout(() => {
      if (!this.stopped) undo();
    }, ms);
  }

  private start(kind: FaultKind): boolean {
    const { cluster } = this;
    const { network, trace } = cluster;
    switch (kind) {
      case "crash-lose-hints":
      case "crash":
      case "pause": {
        if (this.impaired.size >= this.options.impairedMax) return false;
        const candidates = cluster.members.filter((n) => n.state === "running" && !this.impaired.has(n.id));
        if (candidates.length === 0) return false;
        const node = this.random.pick(candidates);
        const ms = this.duration();
        this.impaired.add(node.id);
        if (kind === "crash" || kind === "crash-lose-hints") {
          node.crash();
          if (kind === "crash-lose-hints") node.loseHints();
          this.later(ms, () => {
            this.impaired.delete(node.id);
            if (node.state === "crashed") void node.start();
          });
        } else {
          node.pause();
          this.later(ms, () => {
            this.impaired.delete(node.id);
            node.resume();
          });
        }
        return true;
      }
      case "crash-many": {
        const room = this.options.impairedMax - this.impaired.size;
        const candidates = cluster.members.filter((n) => n.state === "running" && !this.impaired.has(n.id));
        if (room < 2 || candidates.length < 2) return false;
        const victims = this.random.sample(candidates, this.random.int(2, Math.min(room, candidates.length)));
        for (const node of victims) {
          this.impaired.add(node.id);
          node.crash();
        }
        this.later(this.duration(), () => {
          for (const node of victims) {
            this.impaired.delete(node.id);
            if (node.state === "crashed") void node.start();
          }
        });
        return true;
      }
      case "partition": {
        if (this.partitioned) return false;
        const addresses = cluster.members.map((n) => n.address);
        if (addresses.length < 2) return false;
        const sideA = this.random.sample(addresses, this.random.int(1, addresses.length - 1));
        const sideB = addresses.filter((a) => !sideA.includes(a));
        network.partition(sideA, sideB);
        this.partitioned = true;
        trace.add(`partition [${sideA.join(" ")}] | [${sideB.join(" ")}]`);
        this.later(this.duration(), () => {
          network.heal();
          this.partitioned = false;
          trace.add("partition healed");
        });
        return true;
      }
      case "loss":
      case "delay":
      case "duplicate":
      case "flaky-links": {
        if (this.linksFaulty) return false;
        const addresses = cluster.members.map((n) => n.address);
        // Everywhere, or on the links touching a few nodes.
        const everywhere = this.random.chance(0.5);
        const touched = everywhere ? addresses : this.random.sample(addresses, this.random.int(1, 2));
        const fault = this.linkFault(kind);
        let links = 0;
        for (const from of addresses) {
          for (const to of addresses) {
            if (from === to || !(touched.includes(from) || touched.includes(to))) continue;
            network.setLinkFault(
              from,
              to,
              kind === "flaky-links"
                ? this.linkFault(this.random.pick(["loss", "delay", "duplicate"]))
                : fault,
            );
            links += 1;
          }
        }
        this.linksFaulty = true;
        trace.add(
          `${kind} on ${links} links ${JSON.stringify(fault)} ${everywhere ? "everywhere" : `around ${touched.join(" ")}`}`,
        );
        this.later(this.duration(), () => {
          network.clearLinkFaults();
          this.linksFaulty = false;
          trace.add("link faults cleared");
        });
        return true;
      }
      case "join": {
        if (this.joins >= this.options.joinsMax) return false;
        const seeds = cluster.serving;
        if (seeds.length === 0) return false;
        this.joins += 1;
        const id = this.nextNodeId();
        trace.add(`join ${id}`);
        cluster.addNode(id, this.random.sample(seeds, Math.min(2, seeds.length)));
        return true;
      }
      case "leave": {
        if (this.leaves >= this.options.leavesMax) return false;
        const staying = cluster.members.filter((n) => !n.leaving);
        if (staying.length <= this.options.membersMin) return false;
        const candidates = staying.filter((n) => n.serving !== undefined);
        if (candidates.length === 0) return false;
        const node: SimNode = this.random.pick(candidates);
        this.leaves += 1;
        void node.leave();
        return true;
      }
    }
  }

  private linkFault(kind: "loss" | "delay" | "duplicate" | "flaky-links"): LinkFault {
    switch (kind) {
      case "loss":
        return { dropRate: this.random.pick([0.05, 0.1, 0.3, 0.6]) };
      case "delay": {
        const max = this.random.pick([5, 20, 100, 400]);
        return { delayMs: [0, max] };
      }
      case "duplicate":
        return { duplicateRate: this.random.pick([0.05, 0.2, 0.5]), delayMs: [0, 20] };
      case "flaky-links":
        return {
          dropRate: this.random.pick([0, 0.05, 0.2]),
          duplicateRate: this.random.pick([0, 0.1]),
          delayMs: [0, this.random.pick([1, 10, 50])],
        };
    }
  }
}
