import type { Random } from "../../src/random/random.js";
import type { TestCluster } from "../support/cluster.js";

/**
 * The faults the nemesis injects into real node processes:
 * - `kill`: SIGKILL one node, restart it (same id and data dir) when the fault ends;
 * - `kill-two`: the same for two nodes at once (some keys lose two of their three home replicas);
 * - `pause`: SIGSTOP one node, SIGCONT when the fault ends (a GC pause, a stalled VM);
 * - `partition`: cut the cluster into two random halves (2 | 3 nodes) through /admin/faults;
 * - `bridge`: two halves joined only through one node that sees both (Jepsen's "bridge");
 * - `slow`: one node's traffic to and from every peer delayed by 50..300 ms each way.
 * A network fault is sometimes combined with a kill or a pause of a node (a node that crashes or
 * stalls while the network is split), as Jepsen's composed nemeses do.
 *
 * The membership faults (not in the default set; `npm run jepsen -- --membership`) change the
 * ring while the workload runs, and are not healed: the next fault may come mid-change.
 * - `join`: start a new node (ids j1, j2, ...) that joins through the first node;
 * - `remove`: SIGKILL one node (never the first, which seeds every launch) and remove it for good
 *   through another node (`POST /cluster/remove/ID`), as an operator replaces a dead machine.
 * The member count stays within [membersMin, membersMax]: at a bound the other one is done.
 */
export const NEMESIS_FAULTS = ["kill", "kill-two", "pause", "partition", "bridge", "slow"] as const;
export const MEMBERSHIP_FAULTS = ["join", "remove"] as const;
export type NemesisFault = (typeof NEMESIS_FAULTS)[number] | (typeof MEMBERSHIP_FAULTS)[number];

export interface NemesisOptions {
  faults: readonly NemesisFault[];
  /** A fault lasts a random time in [min, max]. */
  faultMsMin: number;
  faultMsMax: number;
  /** Healthy time between two faults, a random time in [min, max]. */
  calmMsMin: number;
  calmMsMax: number;
  /** Chance (0..1) that a network fault also gets a kill or pause of one node. */
  combineProbability: number;
  /** Bounds on the member count for `join` and `remove`. */
  membersMin: number;
  membersMax: number;
}

export const defaultNemesisOptions: NemesisOptions = {
  faults: NEMESIS_FAULTS,
  faultMsMin: 2000,
  faultMsMax: 6000,
  calmMsMin: 1000,
  calmMsMax: 3000,
  combineProbability: 0.3,
  membersMin: 4,
  membersMax: 6,
};

const NETWORK_FAULTS: ReadonlySet<NemesisFault> = new Set(["partition", "bridge", "slow"]);

export interface NemesisEvent {
  /** The faults active together, e.g. ["partition", "kill"]. */
  faults: NemesisFault[];
  nodes: string[];
  startedAtMs: number;
  healedAtMs: number;
}

interface FaultRule {
  peer: string;
  direction: "both";
  mode: "drop" | "delay";
  delayMs?: number;
}

/**
 * Runs faults one after another, each followed by a full heal, until stopped. One fault (or one
 * combination) is active at a time, so every heal restores a healthy cluster, and so does the last.
 */
export class Nemesis {
  readonly events: NemesisEvent[] = [];
  private readonly killed = new Set<string>();
  private readonly paused = new Set<string>();
  private readonly faulted = new Set<string>();
  private stopping = false;
  private joined = 0;

  constructor(
    private readonly cluster: TestCluster,
    private readonly random: Random,
    private readonly options: NemesisOptions = defaultNemesisOptions,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Injects faults until `stop()`; resolves once the last one is healed. */
  async run(): Promise<void> {
    while (!this.stopping) {
      await this.sleep(this.between(this.options.calmMsMin, this.options.calmMsMax));
      // With no faults configured the nemesis only idles: a baseline run of the workload alone.
      if (this.stopping || this.options.faults.length === 0) continue;
      const faults = [this.bounded(this.choose(this.options.faults))];
      if (
        NETWORK_FAULTS.has(faults[0] as NemesisFault) &&
        this.random.uint32() / 2 ** 32 < this.options.combineProbability
      ) {
        // Rules are set first: a paused node could not take them.
        faults.push(this.choose(["kill", "pause"] as const));
      }
      const startedAtMs = Date.now();
      const nodes: string[] = [];
      for (const fault of faults) nodes.push(...(await this.inject(fault)));
      this.log(`nemesis: ${faults.join("+")} ${nodes.join(" ")}`);
      await this.sleep(this.between(this.options.faultMsMin, this.options.faultMsMax));
      await this.healAll();
      this.events.push({ faults, nodes, startedAtMs, healedAtMs: Date.now() });
      this.log(`nemesis: healed ${faults.join("+")}`);
    }
  }

  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Restarts killed nodes, resumes paused ones and clears every fault rule. */
  async healAll(): Promise<void> {
    for (const id of this.paused) this.cluster.resume(id);
    this.paused.clear();
    for (const id of [...this.killed]) {
      await this.cluster.restart(id);
      this.killed.delete(id);
    }
    for (const id of [...this.faulted]) {
      await this.setRules(id, []);
      this.faulted.delete(id);
    }
  }

  /** `join` at the largest member count becomes `remove`, and the other way round. */
  private bounded(fault: NemesisFault): NemesisFault {
    const count = this.cluster.nodes.length;
    if (fault === "join" && count >= this.options.membersMax) return "remove";
    if (fault === "remove" && count <= this.options.membersMin) return "join";
    return fault;
  }

  private async inject(fault: NemesisFault): Promise<string[]> {
    const ids = this.shuffled(this.cluster.nodes.map((n) => n.id));
    switch (fault) {
      case "join": {
        this.joined += 1;
        const id = `j${this.joined}`;
        await this.cluster.addNode(id);
        return [id];
      }
      case "remove": {
        const first = this.cluster.nodes[0]?.id;
        const victim = ids.find((id) => id !== first);
        const via = this.cluster.nodes.find((n) => n.id !== victim);
        if (victim === undefined || via === undefined) return [];
        await this.cluster.kill(victim, "SIGKILL");
        await this.removeMember(via.url, victim);
        this.cluster.forget(victim);
        return [victim];
      }
      case "kill":
      case "kill-two": {
        const victims = ids.slice(0, fault === "kill" ? 1 : 2);
        for (const id of victims) {
          this.killed.add(id);
          await this.cluster.kill(id, "SIGKILL");
        }
        return victims;
      }
      case "pause": {
        const id = ids[0] as string;
        this.paused.add(id);
        this.cluster.pause(id);
        return [id];
      }
      case "partition": {
        const cut = Math.floor(ids.length / 2);
        await this.partition([ids.slice(0, cut), ids.slice(cut)]);
        return [`${ids.slice(0, cut).join("+")}|${ids.slice(cut).join("+")}`];
      }
      case "bridge": {
        const half = Math.floor((ids.length - 1) / 2);
        const bridge = ids[half] as string;
        const left = ids.slice(0, half);
        const right = ids.slice(half + 1);
        await this.partition([left, right]);
        return [`${left.join("+")}|${bridge}|${right.join("+")}`];
      }
      case "slow": {
        const id = ids[0] as string;
        const rules: FaultRule[] = ids
          .slice(1)
          .map((peer) => ({ peer, direction: "both", mode: "delay", delayMs: this.between(50, 300) }));
        await this.setRules(id, rules);
        this.faulted.add(id);
        return [id];
      }
    }
  }

  /** Every node drops all traffic to and from the nodes of the other groups; a node in no group sees everyone. */
  private async partition(groups: string[][]): Promise<void> {
    for (const [i, group] of groups.entries()) {
      const others = groups.filter((_, j) => j !== i).flat();
      for (const id of group) {
        this.faulted.add(id);
        await this.setRules(
          id,
          others.map((peer) => ({ peer, direction: "both", mode: "drop" })),
        );
      }
    }
  }

  private async setRules(id: string, rules: FaultRule[]): Promise<void> {
    const url = this.cluster.node(id).url;
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const res = await fetch(`${url}/admin/faults`, {
          method: "PUT",
          body: JSON.stringify({ rules }),
          signal: AbortSignal.timeout(3000),
        });
        if (res.status === 200) {
          await res.arrayBuffer();
          return;
        }
        lastError = new Error(`${res.status} ${await res.text()}`);
      } catch (error) {
        lastError = error;
      }
      await this.sleepUninterrupted(200);
    }
    throw new Error(`could not set fault rules on ${id}: ${String(lastError)}`);
  }

  /** `POST /cluster/remove/ID` until it is accepted (202); a node it cannot remove fails the run. */
  private async removeMember(url: string, id: string): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 30; attempt++) {
      try {
        const res = await fetch(`${url}/cluster/remove/${encodeURIComponent(id)}`, {
          method: "POST",
          signal: AbortSignal.timeout(3000),
        });
        const body = await res.text();
        if (res.status === 202) return;
        lastError = new Error(`${res.status} ${body}`);
      } catch (error) {
        lastError = error;
      }
      await this.sleepUninterrupted(500);
    }
    throw new Error(`could not remove ${id}: ${String(lastError)}`);
  }

  private between(min: number, max: number): number {
    return min + (this.random.uint32() % (max - min + 1));
  }

  private choose<T>(items: readonly T[]): T {
    return items[this.random.uint32() % items.length] as T;
  }

  private shuffled<T>(items: T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.random.uint32() % (i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  private wake: (() => void) | undefined;

  /** Sleeps, but `stop()` cuts it short so the run ends promptly. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private sleepUninterrupted(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
