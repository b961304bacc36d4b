import assert from "node:assert/strict";
import type { Clock, TimerHandle } from "../clock/clock.js";
import { BadRequestError, ConfigError, RingkvError } from "../errors.js";
import { type Logger, silentLogger } from "../log/logger.js";
import { PeerOverloadedError, RequestTimeoutError, TransportClosedError } from "./errors.js";
import type { Message, PeerInfo, RequestOptions, Transport, TransportHandler } from "./transport.js";

/**
 * Testing-only fault injection around a real Transport, so that cluster tests can partition and
 * slow down real node processes over HTTP (`/admin/faults`) instead of needing a second network.
 * A node mounts it only when started with `--enable-fault-injection`.
 */

export type FaultDirection = "in" | "out" | "both";
export type FaultMode = "drop" | "delay";

export interface FaultRule {
  /** The node id of the peer this rule affects (not its address: addresses change on restart). */
  readonly peer: string;
  /** "out": what this node sends to the peer; "in": what it receives from the peer; "both". */
  readonly direction: FaultDirection;
  /** "drop": lost as in a partition (no answer, not a refusal); "delay": delivered `delayMs` late. */
  readonly mode: FaultMode;
  /** Present exactly when `mode` is "delay". */
  readonly delayMs?: number;
}

export interface FaultController {
  /** Replaces every rule; a bad list is a BadRequestError and leaves the current rules in place. */
  set(rules: readonly FaultRule[]): void;
  /** Removes every rule (heals). */
  clear(): void;
  rules(): FaultRule[];
}

export const FAULT_RULES_MAX = 64;
export const FAULT_DELAY_MS_MAX = 60_000;
const PEER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const RULE_FIELDS: ReadonlySet<string> = new Set(["peer", "direction", "mode", "delayMs"]);

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

export interface FaultInjectionOptions {
  /**
   * Outgoing requests to one peer held back by a rule (waiting out a drop or a delay). One more is
   * refused with PeerOverloadedError, as the real transport refuses past its in-flight and
   * wait-queue limits (256 + 1024 by default, hence the default here).
   */
  outgoingRequestsHeldPerPeerMax: number;
  /**
   * Incoming requests from one peer held back by a rule. Each one occupies a slot of the inner
   * transport's per-peer inbound limit (256 by default) until it is settled, so this stays below
   * it: held requests must never make the inner transport refuse the peer's other requests. At
   * the limit the oldest silenced (dropped) request is released early; when every held one is
   * merely delayed, the new one is refused with PeerOverloadedError.
   */
  incomingRequestsHeldPerPeerMax: number;
  /** Delayed one-way messages per peer and direction; one more is dropped, as a full socket buffer would. */
  messagesDelayedPerPeerMax: number;
  /**
   * How long an incoming request from a dropped peer is held unanswered. Longer than any request
   * timeout in ringkv (the client's `timeout_ms` is at most 60 s by default), so its caller has
   * given up before the release answers it.
   */
  silenceMs: number;
}

export const defaultFaultInjectionOptions: FaultInjectionOptions = {
  outgoingRequestsHeldPerPeerMax: 1280,
  incomingRequestsHeldPerPeerMax: 128,
  messagesDelayedPerPeerMax: 1024,
  silenceMs: 5 * 60_000,
};

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
 * Checks a rule list from outside (an HTTP body, a test) and returns normalized copies. Every
 * problem is a BadRequestError naming the offending rule and field.
 */
export function parseFaultRules(value: unknown): FaultRule[] {
  if (!Array.isArray(value)) throw new BadRequestError("fault rules must be an array");
  if (value.length > FAULT_RULES_MAX) {
    throw new BadRequestError(`at most ${FAULT_RULES_MAX} fault rules are allowed, got ${value.length}`);
  }
  const rules: FaultRule[] = [];
  // Which rule already claims each (peer, one-way direction), so that overlapping rules, whose
  // combined meaning would be a guess, are refused.
  const claimed = new Map<string, number>();
  value.forEach((raw: unknown, index) => {
    const rule = parseFaultRule(raw, `rules[${index}]`);
    for (const direction of expand(rule.direction)) {
      const key = `${rule.peer}\n${direction}`;
      const earlier = claimed.get(key);
      if (earlier !== undefined) {
        throw new BadRequestError(
          `rules[${index}]: peer ${rule.peer} already has a rule for direction "${direction}" (rules[${earlier}])`,
        );
      }
      claimed.set(key, index);
    }
    rules.push(rule);
  });
  return rules;
}

function parseFaultRule(raw: unknown, where: string): FaultRule {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new BadRequestError(`${where}: a fault rule must be an object`);
  }
  const fields = raw as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!RULE_FIELDS.has(name)) {
      throw new BadRequestError(
        `${where}: unknown field "${name.slice(0, 64)}"; a rule has peer, direction, mode and delayMs`,
      );
    }
  }
  const { peer, direction, mode, delayMs } = fields;
  if (typeof peer !== "string" || !PEER_ID_PATTERN.test(peer)) {
    throw new BadRequestError(`${where}: peer must be a node id of 1..64 characters [A-Za-z0-9._-]`);
  }
  if (direction !== "in" && direction !== "out" && direction !== "both") {
    throw new BadRequestError(`${where}: direction must be "in", "out" or "both"`);
  }
  if (mode === "drop") {
    if (delayMs !== undefined) throw new BadRequestError(`${where}: delayMs applies only to mode "delay"`);
    return Object.freeze({ peer, direction, mode });
  }
  if (mode !== "delay") throw new BadRequestError(`${where}: mode must be "drop" or "delay"`);
  if (
    typeof delayMs !== "number" ||
    !Number.isInteger(delayMs) ||
    delayMs < 0 ||
    delayMs > FAULT_DELAY_MS_MAX
  ) {
    throw new BadRequestError(`${where}: mode "delay" needs delayMs, an integer in 0..${FAULT_DELAY_MS_MAX}`);
  }
  return Object.freeze({ peer, direction, mode, delayMs });
}

function expand(direction: FaultDirection): Array<"in" | "out"> {
  return direction === "both" ? ["in", "out"] : [direction];
}

/** Something held back on a timer: a dropped request waiting out its timeout, or a delayed delivery. */
interface HeldItem {
  readonly peerId: string;
  timer: TimerHandle | undefined;
  /** True for an incoming request from a dropped peer: nothing will ever deliver it. */
  readonly silenced: boolean;
  /** Settles the item without delivering it (stop, eviction, heal); `error` goes to a request's caller. */
  abandon(error: RingkvError): void;
}

/** The held items of one kind, counted per peer so each peer's share is bounded. */
class HeldItems {
  private readonly items = new Set<HeldItem>();
  private readonly perPeer = new Map<string, number>();

  constructor(readonly perPeerMax: number) {}

  get size(): number {
    return this.items.size;
  }

  isFull(peerId: string): boolean {
    return (this.perPeer.get(peerId) ?? 0) >= this.perPeerMax;
  }

  add(item: HeldItem): void {
    assert(!this.isFull(item.peerId), "a held item was added past its per-peer limit");
    this.items.add(item);
    this.perPeer.set(item.peerId, (this.perPeer.get(item.peerId) ?? 0) + 1);
  }

  /** Forgets the item; false when it was already gone (settled by another path). */
  delete(item: HeldItem): boolean {
    if (!this.items.delete(item)) return false;
    const left = (this.perPeer.get(item.peerId) ?? 1) - 1;
    if (left === 0) this.perPeer.delete(item.peerId);
    else this.perPeer.set(item.peerId, left);
    return true;
  }

  /** Items in the order they were added (a Set keeps insertion order), so the first is the oldest. */
  list(): HeldItem[] {
    return [...this.items];
  }
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
    checkOptions(this.options);
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
      for (const direction of expand(rule.direction)) entry[direction] = rule;
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

function checkOptions(options: FaultInjectionOptions): void {
  const check = (name: keyof FaultInjectionOptions, min: number, max: number): void => {
    const value = options[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(
        `fault injection option ${name} must be an integer in ${min}..${max}, got ${value}`,
      );
    }
  };
  check("outgoingRequestsHeldPerPeerMax", 1, 1_000_000);
  check("incomingRequestsHeldPerPeerMax", 1, 1_000_000);
  check("messagesDelayedPerPeerMax", 1, 1_000_000);
  check("silenceMs", 1, 24 * 60 * 60_000);
}
