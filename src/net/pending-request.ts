import assert from "node:assert/strict";
import type { Clock, TimerHandle } from "../clock/clock.js";
import { RequestTimeoutError } from "./errors.js";
import type { GateTicket } from "./request-gate.js";
import type { Message, RequestOptions } from "./transport.js";

/**
 * One outstanding request, from the call until it settles: its promise, its timeout (counted from
 * the call, so time spent waiting for a slot or a connection counts), its abort listener and its
 * place at the per-peer gate. It settles exactly once; `onSettled` then lets the owner forget it.
 */
export class PendingRequest {
  readonly promise: Promise<Message>;
  /** Set by the owner once the request has a slot and an id on the wire. */
  requestId: number | undefined;
  ticket: GateTicket | undefined;
  private settled = false;
  private resolvePromise!: (message: Message) => void;
  private rejectPromise!: (error: unknown) => void;
  private readonly timer: TimerHandle;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    readonly peer: string,
    private readonly options: RequestOptions,
    private readonly onSettled: (request: PendingRequest) => void,
  ) {
    assert(
      Number.isFinite(options.timeoutMs) && options.timeoutMs > 0,
      `request timeoutMs must be a positive number, got ${options.timeoutMs}`,
    );
    this.promise = new Promise<Message>((resolve, reject) => {
      this.resolvePromise = resolve;
      this.rejectPromise = reject;
    });
    this.timer = clock.setTimeout(
      () => this.fail(new RequestTimeoutError(peer, options.timeoutMs)),
      options.timeoutMs,
    );
    const signal = options.signal;
    if (signal !== undefined) {
      // fetch() rejects with the signal's reason too: an AbortError DOMException unless the caller chose one.
      this.onAbort = () => this.fail(signal.reason);
      signal.addEventListener("abort", this.onAbort, { once: true });
    }
  }

  get isSettled(): boolean {
    return this.settled;
  }

  resolve(message: Message): void {
    if (this.settle()) this.resolvePromise(message);
  }

  fail(error: unknown): void {
    if (this.settle()) this.rejectPromise(error);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.clock.clearTimeout(this.timer);
    if (this.onAbort !== undefined) this.options.signal?.removeEventListener("abort", this.onAbort);
    this.onSettled(this);
    return true;
  }
}
