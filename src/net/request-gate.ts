import assert from "node:assert/strict";

/** One request's place at a gate: waiting for a slot, holding one, or finished with it. */
export interface GateTicket {
  state: "waiting" | "running" | "released";
  /** Called when a waiting ticket is given a slot. */
  readonly onRun: () => void;
}

/**
 * Bounds the requests to one peer: at most `inFlightMax` run at once and at most `waitQueueMax`
 * wait, first come first served, for a slot. Anything beyond is refused at once, so a slow peer
 * costs the caller a fast, typed error rather than unbounded memory and latency.
 */
export class RequestGate {
  private running = 0;
  /** A Set is insertion ordered and removes a cancelled waiter in O(1). */
  private readonly waiting = new Set<GateTicket>();

  constructor(
    readonly inFlightMax: number,
    readonly waitQueueMax: number,
  ) {
    assert(Number.isInteger(inFlightMax) && inFlightMax >= 1, "inFlightMax must be a positive integer");
    assert(
      Number.isInteger(waitQueueMax) && waitQueueMax >= 0,
      "waitQueueMax must be a non-negative integer",
    );
  }

  /**
   * Returns a ticket that is "running" (the caller starts the request now) or "waiting" (`onRun`
   * is called when a slot frees), or undefined when both the slots and the queue are full.
   */
  admit(onRun: () => void): GateTicket | undefined {
    if (this.running < this.inFlightMax) {
      this.running++;
      return { state: "running", onRun };
    }
    if (this.waiting.size >= this.waitQueueMax) return undefined;
    const ticket: GateTicket = { state: "waiting", onRun };
    this.waiting.add(ticket);
    return ticket;
  }

  /** Gives up a ticket (idempotent). A freed slot goes to the longest waiter. */
  release(ticket: GateTicket): void {
    if (ticket.state === "waiting") {
      this.waiting.delete(ticket);
    } else if (ticket.state === "running") {
      this.running--;
      assert(this.running >= 0, "request gate released more slots than it granted");
      this.promote();
    }
    ticket.state = "released";
  }

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.size;
  }

  private promote(): void {
    for (const next of this.waiting) {
      if (this.running >= this.inFlightMax) return;
      this.waiting.delete(next);
      this.running++;
      next.state = "running";
      next.onRun();
    }
  }
}
