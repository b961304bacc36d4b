import type { Address } from "../../src/config/address.js";
import type { NodeOptions } from "../../src/config/node-options.js";
import type { Logger } from "../../src/log/logger.js";
import {
  defaultMemoryTransportOptions,
  type MemoryNetwork,
  MemoryTransport,
} from "../../src/net/memory-transport.js";
import { RingkvNode } from "../../src/node.js";
import { MemoryEngine } from "../../src/storage/memory-engine.js";
import { Life, LifeTransport, NodeClock } from "./node-life.js";
import type { SimClock } from "./sim-clock.js";
import type { SimRandom } from "./sim-random.js";

/** What a simulated node needs from the simulation around it. */
export interface SimNodeEnv {
  sim: SimClock;
  network: MemoryNetwork;
  random: SimRandom;
  logger: Logger;
  /** Options of every node; id, addresses, data directory and seeds are replaced per node. */
  options: NodeOptions;
  /** A disk sync completes this long after it is requested (ms, inclusive range). */
  syncDelayMs: readonly [number, number];
  trace: (line: string) => void;
  problem: (description: string) => void;
}

/** One start of the node: a process, from start until it stops or is killed. */
interface Incarnation {
  readonly number: number;
  readonly life: Life;
  readonly node: RingkvNode;
  readonly transport: MemoryTransport;
  started: boolean;
}

export type SimNodeState = "running" | "paused" | "crashed" | "gone";

/**
 * One node of the simulated cluster across its restarts: the same id, address and storage
 * (which survives a crash with exactly its synced writes), and a new RingkvNode each start.
 */
export class SimNode {
  readonly address: string;
  private engine: MemoryEngine;
  private current: Incarnation | undefined;
  private starts = 0;
  /** Set when the node left the cluster and was stopped: it never comes back. */
  private departed = false;
  /** Set once `leave()` was asked of the node. */
  leaving = false;

  constructor(
    readonly id: string,
    private readonly seeds: readonly string[],
    private readonly env: SimNodeEnv,
  ) {
    this.address = `${id}:7000`;
    const syncRandom = env.random.fork(`sync/${id}`);
    this.engine = new MemoryEngine({
      sizeBytesMax: Number.POSITIVE_INFINITY,
      scheduleSync: (sync) => {
        const [min, max] = env.syncDelayMs;
        env.sim.setTimeout(
          () => {
            // A paused process learns of a finished fsync when it resumes; a dead one never does
            // (and its engine ignores the sync).
            const life = this.current?.life;
            if (life === undefined) sync();
            else life.deliver(sync);
          },
          syncRandom.int(min, max),
        );
      },
    });
  }

  get state(): SimNodeState {
    if (this.departed) return "gone";
    if (this.current === undefined) return "crashed";
    return this.current.life.isPaused ? "paused" : "running";
  }

  /** The node's current process, if it runs, has started and is not paused. */
  get serving(): RingkvNode | undefined {
    const current = this.current;
    if (current === undefined || !current.life.isRunning || !current.started || this.departed)
      return undefined;
    return current.node;
  }

  /** The node's current process, whatever it is doing (undefined while crashed or gone). */
  get process(): RingkvNode | undefined {
    return this.current?.node;
  }

  /** The storage as the node's process sees it (for end-of-run checks). */
  get storage(): MemoryEngine {
    return this.engine;
  }

  get isGone(): boolean {
    return this.departed;
  }

  /** Starts a new process over the node's storage; resolves once it serves (never, if it dies first). */
  start(): Promise<void> {
    if (this.current !== undefined || this.departed) throw new Error(`${this.id} is already ${this.state}`);
    const env = this.env;
    const number = ++this.starts;
    const life = new Life(env.sim);
    const clock = new NodeClock(env.sim, life);
    const logger = env.logger.child({ node: this.id, start: number });
    const transport = new MemoryTransport(
      this.id,
      this.address,
      { ...defaultMemoryTransportOptions, clusterName: env.options.clusterName },
      env.network,
      { clock, logger },
    );
    const node = new RingkvNode(
      {
        ...env.options,
        id: this.id,
        listen: simAddress(this.id, 7000),
        http: simAddress(this.id, 8000),
        dataDir: `/sim/${this.id}`,
        seeds: this.seeds.map((s) => {
          const [host = "", port = "0"] = s.split(":");
          return simAddress(host, Number(port));
        }),
      },
      {
        clock,
        random: env.random.fork(`node/${this.id}/${number}`),
        storage: this.engine,
        transport: new LifeTransport(transport, life),
        logger,
        httpServer: false,
        processMetrics: false,
      },
    );
    const incarnation: Incarnation = { number, life, node, transport, started: false };
    this.current = incarnation;
    env.trace(`start ${this.id} #${number}`);
    const started = node.start().then(
      () => {
        if (life.isDead) return;
        incarnation.started = true;
        env.trace(`serving ${this.id} #${number}`);
        void node.departed.then(() => this.onDeparted(incarnation));
      },
      (error: unknown) => {
        if (life.isDead) return;
        env.problem(`${this.id} failed to start: ${describeError(error)}`);
      },
    );
    return started;
  }

  /** Kills the process (SIGKILL): unsynced writes are lost; connections it had are reset. */
  crash(): void {
    const current = this.current;
    if (current === undefined) return;
    this.env.trace(`crash ${this.id} #${current.number}`);
    current.life.kill();
    void current.transport.stop();
    this.engine = this.engine.crash();
    this.current = undefined;
  }

  /**
   * Deletes every hint this (crashed) node held, as if its hints were lost with a disk: the
   * writes they carried must still reach their replicas, through anti-entropy.
   */
  loseHints(): number {
    if (this.current !== undefined) throw new Error(`${this.id} must be crashed to lose its hints`);
    const ops = [...this.engine.scan("hints")].map(([key]) => ({
      store: "hints" as const,
      key,
      value: null,
    }));
    this.env.trace(`lose ${ops.length} hints of ${this.id}`);
    if (ops.length > 0) void this.engine.batch(ops);
    return ops.length;
  }

  pause(): void {
    if (this.current === undefined) return;
    this.env.trace(`pause ${this.id}`);
    this.current.life.pause();
  }

  resume(): void {
    if (this.current === undefined || !this.current.life.isPaused) return;
    this.env.trace(`resume ${this.id}`);
    this.current.life.resume();
  }

  /** Asks the node to leave the cluster; once it has, its process stops for good. */
  async leave(): Promise<boolean> {
    const node = this.serving;
    if (node === undefined) return false;
    this.leaving = true;
    this.env.trace(`leave ${this.id}`);
    try {
      await node.leave();
      return true;
    } catch (error) {
      this.env.trace(`leave ${this.id} refused: ${describeError(error)}`);
      return false;
    }
  }

  /** The node reported that it left: stop it gracefully, as its process exits 0. */
  private onDeparted(incarnation: Incarnation): void {
    if (this.current !== incarnation || incarnation.life.isDead) return;
    this.env.trace(`departed ${this.id}`);
    this.departed = true;
    incarnation.node.stop().then(
      () => this.env.trace(`stopped ${this.id}`),
      (error: unknown) =>
        this.env.problem(`${this.id} failed to stop after leaving: ${describeError(error)}`),
    );
  }
}

function simAddress(host: string, port: number): Address {
  return { host, port };
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
