import type { Clock, TimerHandle } from "../../src/clock/clock.js";
import type {
  Message,
  PeerInfo,
  RequestOptions,
  Transport,
  TransportHandler,
} from "../../src/net/transport.js";
import type { SimClock } from "./sim-clock.js";

/** Work held for a paused process at most; beyond it, it is dropped (a full socket buffer). */
const HELD_MAX = 20_000;

/**
 * Whether one process (one start of a node) runs: `running`, `paused` (SIGSTOP: its timers and
 * the messages and answers it receives wait until it resumes) or `dead` (killed: nothing it
 * started ever completes, nothing reaches it). Every way node code can be called back goes through
 * `deliver`, so a paused or dead process runs no code.
 */
export class Life {
  private state: "running" | "paused" | "dead" = "running";
  private held: (() => void)[] = [];
  /** Deliveries dropped because the paused process held too many. */
  dropped = 0;

  constructor(private readonly sim: SimClock) {}

  get isRunning(): boolean {
    return this.state === "running";
  }

  get isPaused(): boolean {
    return this.state === "paused";
  }

  get isDead(): boolean {
    return this.state === "dead";
  }

  /** Runs `fn` now if the process runs, later if it is paused, never if it is dead. */
  deliver(fn: () => void): void {
    if (this.state === "running") fn();
    else if (this.state === "paused") {
      if (this.held.length < HELD_MAX) this.held.push(fn);
      else this.dropped += 1;
    }
  }

  pause(): void {
    if (this.state === "running") this.state = "paused";
  }

  /** Resumes; what waited runs in the order it arrived, each as its own event. */
  resume(): void {
    if (this.state !== "paused") return;
    this.state = "running";
    for (const fn of this.held.splice(0)) this.sim.setTimeout(() => this.deliver(fn), 0);
  }

  kill(): void {
    this.state = "dead";
    this.held = [];
  }
}

/** One process's view of the simulation clock: its timers wait while it is paused and die with it. */
export class NodeClock implements Clock {
  constructor(
    private readonly sim: SimClock,
    private readonly life: Life,
  ) {}

  nowMs(): number {
    return this.sim.nowMs();
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const handle = { id: undefined as TimerHandle | undefined, cleared: false };
    handle.id = this.sim.setTimeout(() => {
      this.life.deliver(() => {
        if (!handle.cleared) fn();
      });
    }, delayMs);
    return { id: handle };
  }

  clearTimeout(handle: TimerHandle): void {
    const inner = handle.id as { id: TimerHandle | undefined; cleared: boolean };
    inner.cleared = true;
    if (inner.id !== undefined) this.sim.clearTimeout(inner.id);
  }
}

/**
 * A node's Transport in the simulation: a MemoryTransport whose requests, answers and received
 * messages reach the node's code only through its Life. A dead process's requests never settle.
 */
export class LifeTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly life: Life,
  ) {}

  get address(): string {
    return this.inner.address;
  }

  start(handler: TransportHandler): Promise<void> {
    const life = this.life;
    return this.inner.start({
      onRequest: (from: PeerInfo, message: Message) =>
        new Promise<Message>((resolve, reject) => {
          life.deliver(() => handler.onRequest(from, message).then(resolve, reject));
        }),
      onMessage: (from, message) => life.deliver(() => handler.onMessage(from, message)),
    });
  }

  stop(): Promise<void> {
    return this.gated(this.inner.stop());
  }

  request(peer: string, message: Message, options: RequestOptions): Promise<Message> {
    if (this.life.isDead) return new Promise(() => undefined);
    return this.gated(this.inner.request(peer, message, options));
  }

  send(peer: string, message: Message): void {
    if (!this.life.isDead) this.inner.send(peer, message);
  }

  /** Settles as `promise` does, but only when the process runs. */
  private gated<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      promise.then(
        (value) => this.life.deliver(() => resolve(value)),
        (error: unknown) => this.life.deliver(() => reject(error)),
      );
    });
  }
}
