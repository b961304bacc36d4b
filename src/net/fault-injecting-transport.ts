import assert from "node:assert/strict";
import type { Clock } from "../clock/clock.js";
import { RingkvError } from "../errors.js";
import { type Logger, silentLogger } from "../log/logger.js";
import { PeerOverloadedError, RequestTimeoutError, TransportClosedError } from "./errors.js";
import {
  checkFaultInjectionOptions,
  defaultFaultInjectionOptions,
  type FaultInjectionOptions,
} from "./fault-injection-options.js";
import { type FaultController, type FaultRule, oneWayDirections, parseFaultRules } from "./fault-rules.js";
import { type HeldItem, HeldItems } from "./held-items.js";
import type { Message, PeerInfo, RequestOptions, Transport, TransportHandler } from "./transport.js";

/**
 * Testing-only fault injection around a real Transport, so that cluster tests can partition and
 * slow down real node processes over HTTP (`/admin/faults`) instead of needing a second network.
 * A node mounts it only when started with `--enable-fault-injection`.
 */

/**
 * The answer an incoming request from a dropped peer finally gets when the wrapper stops holding
 * it (see FaultInjectingTransport). Its caller has usually given up by then; one still waiting
 * sees a RemoteError with remoteCode "fault_injected".
 */
export class FaultInjectedError extends RingkvError {
  readonly code = "fault_injected";
  constructor(
    readonly peer: string,
    reason: string,
  ) {
    super(`request from ${peer} was dropped by fault injection (${reason})`);
  }
  override details(): Record<string, unknown> {
    return { peer: this.peer };
  }
}

export interface FaultInjectionDeps {
  clock: Clock;
  /** The node id listening at an inter-node address; undefined when unknown (then no rule applies). */
  idOf(address: string): string | undefined;
  logger?: Logger;
}

/** How many items the wrapper holds back right now, for tests and debugging. */
export interface HeldCounts {
  outgoingRequests: number;
  outgoingMessages: number;
  incomingRequests: number;
  incomingMessages: number;
}

/**
 * A Transport that applies FaultRules to another Transport, matching peers by node id.
 *
 * Outgoing (this node -> peer, addresses mapped to ids by `idOf`):
 * - drop: `request` rejects with RequestTimeoutError after its full `timeoutMs`, as a partition
 *   looks to a caller (silence, not a refusal); `send` is discarded.
 * - delay: the message is forwarded `delayMs` late; a request's time in the delay counts against
 *   its `timeoutMs` (a delay of `timeoutMs` or more is a timeout). The answer is not delayed again.
 * Incoming (peer -> this node, matched on the handshake's `from.id`):
 * - drop: the handler is not called. A one-way message is discarded. A request is held
 *   unanswered, so its caller on the other side times out. Holding it for ever would leak the
 *   inner transport's per-peer inbound slot, so it is released (rejected with FaultInjectedError,
 *   which the inner transport sends back as an error answer) at the first of: `silenceMs`
 *   (5 minutes, longer than any ringkv request timeout) on the injected Clock; the rule that
 *   silenced it being lifted (set() without it, or clear()); `incomingRequestsHeldPerPeerMax`
 *   newer held requests from the same peer (oldest first); stop(). A caller still waiting at that
 *   moment sees a RemoteError with remoteCode "fault_injected" instead of its timeout.
 * - delay: the handler is called `delayMs` late.
 * A rule change applies to messages sent or received after it; one already held keeps the fate
 * it was given, except for silenced requests released on heal as said above.
 */
export class FaultInjectingTransport implements Transport, FaultController {
  private state: "new" | "started" | "stopped" = "new";
  private handler: TransportHandler | undefined;
  private current: FaultRule[] = [];
  private readonly byPeer = new Map<string, { in?: FaultRule; out?: FaultRule }>();
  private readonly outgoingRequests: HeldItems;
  private readonly outgoingMessages: HeldItems;
  private readonly incomingRequests: HeldItems;
  private readonly incomingMessages: HeldItems;
  private readonly logger: Logger;
  private readonly options: FaultInjectionOptions;

  constructor(
    private readonly inner: Transport,
    private readonly deps: FaultInjectionDeps,
    options: Partial<FaultInjectionOptions> = {},
  ) {
    this.options = { ...defaultFaultInjectionOptions, ...options };
    checkFaultInjectionOptions(this.options);
    this.outgoingRequests = new HeldItems(this.options.outgoingRequestsHeldPerPeerMax);
    this.outgoingMessages = new HeldItems(this.options.messagesDelayedPerPeerMax);
    this.incomingRequests = new HeldItems(this.options.incomingRequestsHeldPerPeerMax);
    this.incomingMessages = new HeldItems(this.options.messagesDelayedPerPeerMax);
    this.logger = deps.logger ?? silentLogger();
  }

  get address(): string {
    return this.inner.address;
  }

  set(rules: readonly FaultRule[]): void {
    const parsed = parseFaultRules(rules);
    this.current = parsed;
    this.byPeer.clear();
    for (const rule of parsed) {
      const entry = this.byPeer.get(rule.peer) ?? {};
      for (const direction of oneWayDirections(rule.direction)) entry[direction] = rule;
      this.byPeer.set(rule.peer, entry);
    }
    this.logger.warn({ rules: parsed }, "fault injection rules set");
    this.releaseHealed();
  }

  clear(): void {
    this.set([]);
  }

  rules(): FaultRule[] {
    return [...this.current];
  }

  heldCounts(): HeldCounts {
    return {
      outgoingRequests: this.outgoingRequests.size,
      outgoingMessages: this.outgoingMessages.size,
      incomingRequests: this.incomingRequests.size,
      incomingMessages: this.incomingMessages.size,
    };
  }

  async start(handler: TransportHandler): Promise<void> {
    this.handler = handler;
    await this.inner.start({
      onRequest: (from, message) => this.onRequest(from, message),
      onMessage: (from, message) => this.onMessage(from, message),
    });
    this.state = "started";
  }

  async stop(): Promise<void> {
    if (this.state === "started") {
      this.state = "stopped";
      const closed = new TransportClosedError();
      this.abandonAll(this.outgoingRequests, closed);
      this.abandonAll(this.outgoingMessages, closed);
      await this.inner.stop();
      // Only now: the inner transport has already reset these requests' connections, so settling
      // them sends nothing more to their callers.
      this.abandonAll(this.incomingRequests, closed);
      this.abandonAll(this.incomingMessages, closed);
      return;
    }
    this.state = "stopped";
    await this.inner.stop();
  }

  request(peer: string, message: Message, options: RequestOptions): Promise<Message> {
    const rule = this.state === "started" ? this.ruleForAddress(peer) : undefined;
    if (rule === undefined) return this.inner.request(peer, message, options);
    assert(
      Number.isFinite(options.timeoutMs) && options.timeoutMs > 0,
      `request timeoutMs must be a positive number, got ${options.timeoutMs}`,
    );
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.outgoingRequests.isFull(rule.peer)) {
      this.logger.warn(
        { peer, peerId: rule.peer, heldMax: this.outgoingRequests.perPeerMax },
        "fault injection: too many requests held for one peer; refusing",
      );
      return Promise.reject(new PeerOverloadedError(peer, this.outgoingRequests.perPeerMax, 0));
    }
    const delayMs = rule.mode === "delay" ? (rule.delayMs ?? 0) : undefined;
    return new Promise<Message>((resolve, reject) => {
      const onAbort = (): void => {
        finish(signal?.reason);
      };
      const finish = (error: unknown): boolean => {
        if (!this.outgoingRequests.delete(item)) return false;
        if (item.timer !== undefined) this.deps.clock.clearTimeout(item.timer);
        signal?.removeEventListener("abort", onAbort);
        if (error !== undefined) reject(error);
        return true;
      };
      const item: HeldItem = {
        peerId: rule.peer,
        timer: undefined,
        silenced: false,
        abandon: (error) => {
          finish(error);
        },
      };
      this.outgoingRequests.add(item);
      signal?.addEventListener("abort", onAbort, { once: true });
      const timedOut = new RequestTimeoutError(peer, options.timeoutMs);
      if (delayMs === undefined || delayMs >= options.timeoutMs) {
        item.timer = this.deps.clock.setTimeout(() => finish(timedOut), options.timeoutMs);
        return;
      }
      item.timer = this.deps.clock.setTimeout(() => {
        item.timer = undefined;
        if (!finish(undefined)) return;
        this.inner.request(peer, message, { ...options, timeoutMs: options.timeoutMs - delayMs }).then(
          resolve,
          // The caller asked for timeoutMs overall; report that, not the remainder after the delay.
          (error: unknown) => reject(error instanceof RequestTimeoutError ? timedOut : error),
        );
      }, delayMs);
    });
  }

  send(peer: string, message: Message): void {
    const rule = this.state === "started" ? this.ruleForAddress(peer) : undefined;
    if (rule === undefined) {
      this.inner.send(peer, message);
      return;
    }
    if (rule.mode === "drop") {
      this.logger.debug({ peer, peerId: rule.peer, type: message.type }, "fault injection: message dropped");
      return;
    }
    this.delayMessage(this.outgoingMessages, rule, () => this.inner.send(peer, message));
  }

  private onRequest(from: PeerInfo, message: Message): Promise<Message> {
    const handler = this.handler;
    assert(handler !== undefined, "a started transport has a handler");
    const rule = this.ruleFor(from.id, "in");
    if (rule === undefined) return handler.onRequest(from, message);
    return new Promise<Message>((resolve, reject) => {
      if (this.incomingRequests.isFull(from.id) && !this.evictOldestSilenced(from.id)) {
        reject(new PeerOverloadedError(this.inner.address, this.incomingRequests.perPeerMax, 0));
        return;
      }
      const finish = (): boolean => {
        if (!this.incomingRequests.delete(item)) return false;
        if (item.timer !== undefined) this.deps.clock.clearTimeout(item.timer);
        return true;
      };
      const silenced = rule.mode === "drop";
      const item: HeldItem = {
        peerId: from.id,
        timer: undefined,
        silenced,
        abandon: (error) => {
          if (finish()) reject(error);
        },
      };
      this.incomingRequests.add(item);
      if (silenced) {
        item.timer = this.deps.clock.setTimeout(
          () => item.abandon(new FaultInjectedError(from.id, `held for ${this.options.silenceMs} ms`)),
          this.options.silenceMs,
        );
        return;
      }
      item.timer = this.deps.clock.setTimeout(() => {
        item.timer = undefined;
        if (!finish()) return;
        try {
          handler.onRequest(from, message).then(resolve, reject);
        } catch (error) {
          reject(error);
        }
      }, rule.delayMs ?? 0);
    });
  }

  private onMessage(from: PeerInfo, message: Message): void {
    const handler = this.handler;
    assert(handler !== undefined, "a started transport has a handler");
    const rule = this.ruleFor(from.id, "in");
    if (rule === undefined) {
      handler.onMessage(from, message);
      return;
    }
    if (rule.mode === "drop") return;
    this.delayMessage(this.incomingMessages, rule, () => {
      try {
        handler.onMessage(from, message);
      } catch (error) {
        // The inner transport guards its own calls this way; a delayed call runs outside them.
        this.logger.error(
          { err: error, peerId: from.id, type: message.type },
          "one-way message handler threw",
        );
      }
    });
  }

  private delayMessage(held: HeldItems, rule: FaultRule, deliver: () => void): void {
    if (held.isFull(rule.peer)) {
      this.logger.warn(
        { peerId: rule.peer, delayedMax: held.perPeerMax },
        "fault injection: too many delayed messages for one peer; dropping",
      );
      return;
    }
    const item: HeldItem = {
      peerId: rule.peer,
      timer: undefined,
      silenced: false,
      abandon: () => {
        if (held.delete(item) && item.timer !== undefined) this.deps.clock.clearTimeout(item.timer);
      },
    };
    held.add(item);
    item.timer = this.deps.clock.setTimeout(() => {
      if (held.delete(item)) deliver();
    }, rule.delayMs ?? 0);
  }

  /** Releases the oldest silenced request from `peerId`; false when none is silenced. */
  private evictOldestSilenced(peerId: string): boolean {
    const oldest = this.incomingRequests.list().find((item) => item.silenced && item.peerId === peerId);
    if (oldest === undefined) return false;
    this.logger.warn(
      { peerId, heldMax: this.incomingRequests.perPeerMax },
      "fault injection: too many silenced requests from one peer; releasing the oldest",
    );
    oldest.abandon(new FaultInjectedError(peerId, "more newer requests from the peer are held"));
    return true;
  }

  /** After a rule change, releases silenced requests whose peer is no longer dropped inbound. */
  private releaseHealed(): void {
    for (const item of this.incomingRequests.list()) {
      if (item.silenced && this.ruleFor(item.peerId, "in")?.mode !== "drop") {
        item.abandon(new FaultInjectedError(item.peerId, "the fault was healed"));
      }
    }
  }

  private abandonAll(held: HeldItems, error: RingkvError): void {
    for (const item of held.list()) item.abandon(error);
  }

  private ruleForAddress(address: string): FaultRule | undefined {
    if (this.byPeer.size === 0) return undefined;
    const peerId = this.deps.idOf(address);
    return peerId === undefined ? undefined : this.ruleFor(peerId, "out");
  }

  private ruleFor(peerId: string, direction: "in" | "out"): FaultRule | undefined {
    return this.byPeer.get(peerId)?.[direction];
  }
}
