import type { Clock, TimerHandle } from "../clock/clock.js";
import { claimantOf, decideRing } from "../core/membership/claimant.js";
import {
  BadClusterStateError,
  type ClusterState,
  findMember,
  type MemberLoad,
  type MemberRecord,
  withMember,
} from "../core/membership/cluster-state.js";
import { FailureDetector, type LivenessStatus } from "../core/membership/failure-detector.js";
import {
  answerDigest,
  applyAnswer,
  applyPush,
  type DigestSelection,
  digestOf,
  type GossipDigest,
  partialDigestOf,
  pushFor,
} from "../core/membership/gossip-digest.js";
import { type FactRefusalReason, FactScreen } from "../core/membership/peer-facts.js";
import { zonesOf } from "../core/membership/zone.js";
import { zoneSharedPartitions } from "../core/ring/index.js";
import type { Logger } from "../log/logger.js";
import type { PeerInfo } from "../net/transport.js";
import {
  type HandlerEntry,
  handler,
  type PeerClient,
  PeerMessageError,
  peerMessages,
} from "../protocol/index.js";
import type { Random } from "../random/random.js";
import type { GossipOptions } from "./gossip-options.js";

export interface GossiperDeps {
  selfId: string;
  peers: PeerClient;
  clock: Clock;
  random: Random;
  logger: Logger;
  options: GossipOptions;
  partitions: number;
  n: number;
  /** Called (awaited) whenever the ring or a member's membership state changed, before it is gossiped on. */
  persist(state: ClusterState): Promise<void>;
  /** This node's current load, reported with its heartbeat. */
  load(): MemberLoad;
  /** Called after every change of ring or membership state (not for heartbeats). */
  onChange?(state: ClusterState): void;
  /** Every replica count keys may have (namespaces' n): a ring change waits for their gainers too. */
  replicaCounts?(): readonly number[];
  /** Called for each fact a peer sent and this node refused (peer-facts.ts). */
  onFactRefused?(reason: FactRefusalReason): void;
}

/**
 * Spreads the cluster state by push-pull digest gossip (core/membership/gossip-digest.ts), feeds the failure detector, and, on the claimant,
 * folds joining members into the ring. All decisions are the pure functions of core/membership.
 */
export class Gossiper {
  private state: ClusterState;
  readonly failureDetector: FailureDetector;
  private timer: TimerHandle | undefined;
  private running = false;
  private readonly startedMs: number;
  private lastRingChangeMs = Number.NEGATIVE_INFINITY;
  private persisting: Promise<void> = Promise.resolve();
  private lastLoadReportMs = Number.NEGATIVE_INFINITY;
  /** The newest own stateVersion and ring version a peer is known to hold (see peerKnowsSelf). */
  private confirmedStateVersion = 0;
  private confirmedRingVersion = 0;
  /** Out-of-turn exchanges in flight, by peer id (pullFrom). */
  private readonly pulls = new Map<string, Promise<void>>();
  /**
   * When each peer (by id) last opened an exchange with this node: a push-pull exchange carries
   * both sides' heartbeats, so while there is no news a peer heard from within the last interval
   * is not dialled again this round (pickPeers). In a small cluster, where fanout covers every
   * peer, that halves the exchanges (each pair once per round, not twice) and so the idle cost.
   * Bounded by the members (pruned each round).
   */
  private readonly openedByPeerMs = new Map<string, number>();
  /** Rounds started; rotates the slices of partial digests. */
  private rounds = 0;
  /** When each member's record (not its heartbeat) last changed here; pruned past changedMemberDigestMs. */
  private readonly changedAtMs = new Map<string, number>();
  /** When a refusal of each reason was last logged as a warning. */
  private readonly refusalWarnedMs = new Map<FactRefusalReason, number>();

  constructor(
    private readonly deps: GossiperDeps,
    initial: ClusterState,
    private readonly seeds: readonly string[],
  ) {
    this.state = initial;
    this.failureDetector = new FailureDetector(deps.options.failureDetector);
    this.startedMs = deps.clock.nowMs();
    for (const m of initial.members) this.failureDetector.observe(m.id, m, this.startedMs);
  }

  get current(): ClusterState {
    return this.state;
  }

  self(): MemberRecord {
    const self = findMember(this.state, this.deps.selfId);
    if (self === undefined) throw new Error("this node is missing from its own cluster state");
    return self;
  }

  /**
   * Whether some peer is known to hold this node's own membership state and the ring as this
   * node has them now. A node that left must not stop before: if it decided its own departure
   * (as the claimant) and stopped at once, nobody would ever learn it left, or of the final ring.
   */
  peerKnowsSelf(): boolean {
    return (
      this.confirmedStateVersion >= this.self().stateVersion &&
      this.confirmedRingVersion >= (this.state.ring?.version ?? 0)
    );
  }

  private confirm(stateVersion: number, ringVersion: number): void {
    this.confirmedStateVersion = Math.max(this.confirmedStateVersion, stateVersion);
    this.confirmedRingVersion = Math.max(this.confirmedRingVersion, ringVersion);
  }

  status(id: string): LivenessStatus {
    if (id === this.deps.selfId) return "up";
    return this.failureDetector.status(id, this.deps.clock.nowMs());
  }

  /** How long a member has been down as this node sees it (0 while up or suspect; 0 for itself). */
  downForMs(id: string): number {
    if (id === this.deps.selfId) return 0;
    return this.failureDetector.downForMs(id, this.deps.clock.nowMs());
  }

  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
  }

  /** Applies a change to this node's own record (e.g. leaving) and spreads it. */
  async updateSelf(change: (self: MemberRecord) => MemberRecord): Promise<void> {
    const self = this.self();
    await this.adopt(withMember(this.state, withInfoVersion(self, change(self))));
    // Others take a state change of ours only from us (peer-facts.ts), so random gossip would
    // take many rounds to reach the claimant in a large cluster: it is told at once.
    const claimant = claimantOf(this.state, (id) => this.status(id) === "up");
    const address = claimant === undefined ? undefined : findMember(this.state, claimant)?.listen;
    if (claimant !== this.deps.selfId && address !== undefined) void this.exchange(address);
  }

  /**
   * One gossip exchange with a member now, out of turn: how a node learns a newer ring a peer
   * told of (ownership fencing, a refusal carrying the peer's ring version). At most one pull per
   * peer is in flight (later callers share it), so a burst of refusals costs one round trip each.
   * Resolves when done; an unreachable or unknown peer just ends it (exchange logs what matters).
   */
  pullFrom(nodeId: string): Promise<void> {
    const inFlight = this.pulls.get(nodeId);
    if (inFlight !== undefined) return inFlight;
    const address = findMember(this.state, nodeId)?.listen;
    if (address === undefined || nodeId === this.deps.selfId) return Promise.resolve();
    const pull = this.exchange(address).finally(() => this.pulls.delete(nodeId));
    this.pulls.set(nodeId, pull);
    return pull;
  }

  /** Changes another member's membership state (removing a dead node) and spreads it. */
  async updateMember(id: string, change: (member: MemberRecord) => MemberRecord): Promise<void> {
    const member = findMember(this.state, id);
    if (member === undefined) throw new Error(`no member ${id}`);
    await this.adopt(withMember(this.state, change(member)));
  }

  /**
   * The peer messages the Gossiper answers: a digest (the answer carries what the peer lacks and
   * asks for what it has newer), a push of records asked for, or a whole state (from a node that
   * predates digests: merge theirs, reply with ours).
   */
  handlers(): HandlerEntry[] {
    return [
      handler(peerMessages.gossipSyn, async (digest, from) => {
        this.trace(from, "digest");
        this.openedByPeerMs.set(from.id, this.deps.clock.nowMs());
        const mine = digest.entries.find(([id]) => id === this.deps.selfId);
        this.confirm(mine?.[4] ?? 0, digest.ring?.[0] ?? 0);
        const screen = this.screen(from.id);
        const news =
          digest.partial === true ? this.recentlyChanged(this.deps.clock.nowMs()) : new Set<string>();
        const { state, answer } = answerDigest(this.state, digest, screen, news);
        await this.adopt(this.screened(screen, state, from.id));
        return answer;
      }),
      handler(peerMessages.gossipPush, async (push, from) => {
        this.trace(from, "push");
        const screen = this.screen(from.id);
        await this.adopt(this.screened(screen, applyPush(this.state, push, screen), from.id));
        return {};
      }),
      handler(peerMessages.gossip, async ({ state }, from) => {
        this.trace(from, "whole state");
        const screen = this.screen(from.id);
        const push = { records: [...state.members], ring: state.ring };
        await this.adopt(this.screened(screen, applyPush(this.state, push, screen), from.id));
        return { state: this.state };
      }),
    ];
  }

  /** A screen for facts from `senderId` (peer-facts.ts), with this node's failure detector view. */
  private screen(senderId: string | undefined): FactScreen {
    return new FactScreen({
      selfId: this.deps.selfId,
      senderId,
      nowMs: this.deps.clock.nowMs(),
      isDown: (id) => this.status(id) === "down",
      advancedAtMs: (id) => this.failureDetector.advancedAtMs(id),
      bounds: this.deps.options.peerFacts,
    });
  }

  /**
   * `next`, once what the screen did is settled: members whose own record replaced a planted
   * liveness start over in the failure detector, and refusals are counted and logged (one
   * warning per reason per refusalLogIntervalMs, the rest at debug).
   */
  private screened(screen: FactScreen, next: ClusterState, senderId: string | undefined): ClusterState {
    for (const id of screen.livenessReset) {
      this.failureDetector.forget(id);
      this.deps.logger.info(
        { member: id },
        "a member's own record replaced liveness counters a peer had planted",
      );
    }
    if (screen.refusals.length === 0) return next;
    const now = this.deps.clock.nowMs();
    for (const { reason, member } of screen.refusals) {
      this.deps.onFactRefused?.(reason);
      const last = this.refusalWarnedMs.get(reason);
      const warn = last === undefined || now - last >= this.deps.options.refusalLogIntervalMs;
      if (warn) this.refusalWarnedMs.set(reason, now);
      this.deps.logger[warn ? "warn" : "debug"]({ from: senderId, member, reason }, "peer fact refused");
    }
    return next;
  }

  private trace(from: PeerInfo, kind: string): void {
    this.deps.logger.trace({ from: from.id, kind }, "gossip received");
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.round().catch((error: unknown) => this.deps.logger.error({ err: error }, "gossip round failed"));
      this.schedule();
    }, this.deps.options.intervalMs);
  }

  private async round(): Promise<void> {
    const now = this.deps.clock.nowMs();
    this.failureDetector.tick(now);
    const self = this.self();
    // Load is re-announced at most every loadReportIntervalMs; a new ring version at once.
    const reportLoad = now - this.lastLoadReportMs >= this.deps.options.loadReportIntervalMs;
    if (reportLoad) this.lastLoadReportMs = now;
    const next = withInfoVersion(self, {
      ...self,
      heartbeat: self.heartbeat + 1,
      load: reportLoad ? this.deps.load() : self.load,
      ringVersion: this.state.ring?.version ?? 0,
    });
    this.state = withMember(this.state, next);
    const news = this.recentlyChanged(now);
    const peers = this.pickPeers(news.size === 0);
    const round = this.rounds++;
    const partial = this.state.members.length > this.deps.options.fullDigestMembersMax;
    const always = new Set([...news, this.deps.selfId]);
    peers.forEach((peer, i) => {
      // One exchange of every fullDigestEveryRounds-th round lists every member.
      const full = !partial || (i === 0 && round % this.deps.options.fullDigestEveryRounds === 0);
      void this.exchange(peer, full ? undefined : { slice: round + i, slices: peers.length, always });
    });
    await this.maybeChangeRing(now);
  }

  /**
   * `fanout` random peers that have not left; the seeds while no peer is known. While `quiet`
   * (no member joined, restarted or changed state lately) only heartbeats need to flow: a peer
   * that opened an exchange with this node within the last interval is not dialled (that
   * exchange carried both sides' heartbeats), and those exchanges count toward the fanout (at
   * least one is opened). Each node then takes part in about `fanout` exchanges a round instead
   * of twice as many, which halves the idle cost of gossip; news restores the full fanout over
   * every peer at once, so joins and leaves spread as fast as before.
   */
  private pickPeers(quiet: boolean): string[] {
    const now = this.deps.clock.nowMs();
    const recent = (id: string): boolean => {
      const at = this.openedByPeerMs.get(id);
      return at !== undefined && now - at < this.deps.options.intervalMs;
    };
    for (const [id, at] of this.openedByPeerMs)
      if (now - at >= this.deps.options.intervalMs) this.openedByPeerMs.delete(id);
    const members = this.state.members.filter((m) => m.id !== this.deps.selfId && m.state !== "left");
    // With news, every peer may be dialled: a peer that opened an exchange before the news
    // arrived here did not get it.
    const peers = members.filter((m) => !quiet || !recent(m.id)).map((m) => m.listen);
    // Every known peer opened an exchange with us within the interval: nothing to add this round.
    if (peers.length === 0 && members.length > 0) return [];
    const pool = peers.length > 0 ? peers : this.seeds.filter((s) => s !== this.self().listen);
    const inbound = members.length - peers.length;
    const fanout = quiet ? Math.max(1, this.deps.options.fanout - inbound) : this.deps.options.fanout;
    const chosen: string[] = [];
    const candidates = [...pool];
    while (chosen.length < fanout && candidates.length > 0) {
      const i = this.deps.random.uint32() % candidates.length;
      const [address] = candidates.splice(i, 1);
      if (address !== undefined) chosen.push(address);
    }
    return chosen;
  }

  /** The members that joined, restarted or changed state within changedMemberDigestMs (and `also`). */
  private recentlyChanged(now: number, also?: string): Set<string> {
    const ids = new Set<string>(also === undefined ? [] : [also]);
    for (const [id, at] of this.changedAtMs) {
      if (now - at >= this.deps.options.changedMemberDigestMs) this.changedAtMs.delete(id);
      else ids.add(id);
    }
    return ids;
  }

  /** One push-pull exchange; with `selection`, a partial digest (every member otherwise). */
  private async exchange(address: string, selection?: DigestSelection): Promise<void> {
    const options = { timeoutMs: this.deps.options.requestTimeoutMs };
    try {
      const sent = { stateVersion: this.self().stateVersion, ringVersion: this.state.ring?.version ?? 0 };
      const digest: GossipDigest =
        selection === undefined ? digestOf(this.state) : partialDigestOf(this.state, selection);
      const answer = await this.deps.peers.request(address, peerMessages.gossipSyn, digest, options);
      // The answer comes from whoever listens at the address dialled: the member known there.
      const senderId = this.state.members.find((m) => m.listen === address)?.id;
      const screen = this.screen(senderId);
      await this.adopt(this.screened(screen, applyAnswer(this.state, answer, screen), senderId));
      // From the state as it is now: records merged meanwhile are the newest to send.
      const push = pushFor(this.state, digest, answer);
      if (push !== undefined) await this.deps.peers.request(address, peerMessages.gossipPush, push, options);
      // The peer now holds at least what this node sent.
      this.confirm(sent.stateVersion, sent.ringVersion);
    } catch (error) {
      // Unreachable peers are the failure detector's business; only malformed replies are news.
      if (error instanceof PeerMessageError || error instanceof BadClusterStateError) {
        this.deps.logger.warn({ peer: address, reason: error.message }, "gossip reply refused");
      }
    }
  }

  private async maybeChangeRing(now: number): Promise<void> {
    if (now - this.lastRingChangeMs < this.deps.options.ringChangeIntervalMs) return;
    if (this.state.ring === null && now - this.startedMs < this.deps.options.formationDelayMs) return;
    const decision = decideRing(
      this.state,
      this.deps.selfId,
      (id) => this.status(id) === "up",
      this.deps.partitions,
      this.deps.n,
      (id) => this.downForMs(id) >= this.deps.options.joinTimeoutMs,
      this.deps.replicaCounts?.() ?? [this.deps.n],
    );
    if (decision === undefined) return;
    this.lastRingChangeMs = now;
    let next: ClusterState = { members: this.state.members, ring: decision.ring };
    for (const update of decision.memberUpdates) next = withMember(next, update);
    this.deps.logger.info(
      {
        version: decision.ring.version,
        owners: new Set(decision.ring.owners).size,
        members: decision.memberUpdates.map((m) => `${m.id}:${m.state}`),
        pending: decision.ring.next !== null,
      },
      "ring changed",
    );
    const planned = decision.ring.next ?? decision.ring.owners;
    const zoneShared = zoneSharedPartitions(planned, this.deps.n, zonesOf(this.state.members));
    if (zoneShared > 0) {
      this.deps.logger.warn(
        { version: decision.ring.version, partitions: zoneShared, n: this.deps.n },
        "ring planned with home replicas sharing a zone: no zone-distinct layout found for these members (see docs/operations.md, laying out zones)",
      );
    }
    if (decision.completedWithout !== undefined) {
      this.deps.logger.warn(
        {
          version: decision.ring.version,
          members: decision.completedWithout,
          joinTimeoutMs: this.deps.options.joinTimeoutMs,
        },
        "ring change completed without members planned to gain partitions: down for the join timeout; they catch up when back",
      );
    }
    await this.adopt(next);
  }

  /** Takes a new state; persists and announces it when ring or membership states changed. */
  private async adopt(next: ClusterState): Promise<void> {
    const now = this.deps.clock.nowMs();
    const previous = this.state;
    // Records are immutable: one that is the same object as before was observed already.
    const aligned = previous.members.length === next.members.length;
    const byId = aligned ? undefined : new Map(previous.members.map((m) => [m.id, m]));
    next.members.forEach((m, i) => {
      const before = aligned ? previous.members[i] : byId?.get(m.id);
      if (before === m) return;
      this.failureDetector.observe(m.id, m, now);
      // A new member, a restart or a membership change is news: listed in every digest for a
      // while. Descriptive changes (load, adopted ring) are not: at 1000 members loads change
      // hundreds of times a second, and they may take a few rounds more to spread.
      if (
        before === undefined ||
        before.id !== m.id ||
        before.generation !== m.generation ||
        before.stateVersion !== m.stateVersion
      )
        this.changedAtMs.set(m.id, now);
    });
    this.state = next;
    if (!membershipChanged(previous, next)) return;
    // Persist in order, so the stored state never goes back to an older one.
    const snapshot = next;
    this.persisting = this.persisting.then(() => this.deps.persist(snapshot));
    await this.persisting;
    this.deps.onChange?.(next);
  }
}

/**
 * Whether the ring or a member's membership fields (id, addresses, state) changed: what is worth
 * persisting and announcing. Liveness counters, load and transfer progress are not. Compared
 * field by field, not through a string of the whole state: it runs on every gossip message.
 */
function membershipChanged(previous: ClusterState, next: ClusterState): boolean {
  const a = previous.ring;
  const b = next.ring;
  if (a !== b) {
    if (a === null || b === null || a.version !== b.version || a.claimant !== b.claimant) return true;
    if (a.owners.length !== b.owners.length || a.owners.some((owner, p) => owner !== b.owners[p]))
      return true;
  }
  if (previous.members.length !== next.members.length) return true;
  return next.members.some((m, i) => {
    const old = previous.members[i] as MemberRecord;
    return (
      old !== m &&
      (old.id !== m.id ||
        old.listen !== m.listen ||
        old.http !== m.http ||
        old.state !== m.state ||
        old.stateVersion !== m.stateVersion)
    );
  });
}

/** `next` with its infoVersion bumped if it changed any of `self`'s descriptive fields. */
function withInfoVersion(self: MemberRecord, next: MemberRecord): MemberRecord {
  const same =
    next.listen === self.listen &&
    next.http === self.http &&
    next.ringVersion === self.ringVersion &&
    sameFields(next.load, self.load) &&
    sameFields(next.transfer, self.transfer);
  return same ? next : { ...next, infoVersion: self.infoVersion + 1 };
}

function sameFields<T extends object>(a: T, b: T): boolean {
  return a === b || (Object.keys(a) as (keyof T)[]).every((k) => a[k] === b[k]);
}
