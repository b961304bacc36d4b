import type { Clock } from "../clock/clock.js";
import type { ClusterView } from "../cluster/cluster-view.js";
import { join, type VersionVector } from "../core/causality/index.js";
import type { ConflictResolution } from "../core/conflict-mode.js";
import { expiredAsTombstones, expiryDeadlineMs } from "../core/expiry.js";
import type { LivenessStatus } from "../core/membership/failure-detector.js";
import type { ReplicaCounts } from "../core/namespace/index.js";
import { partitionOf } from "../core/partition.js";
import type { RingView } from "../core/ring/ring-view.js";
import { type Sibling, type StoredObject, tombstone } from "../core/stored-object.js";
import { NotOwnerError, NotReadyError, QuorumError, RingkvError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { awaitSlots, type SlotReply } from "./await-slots.js";
import type { LocalReplica } from "./local-replica.js";
import type { ReplicaAccess } from "./replica-access.js";
import type { RequestOptions } from "./request-options.js";
import { withTimeout } from "./with-timeout.js";

export interface CoordinatorDeps {
  nodeId: string;
  replica: LocalReplica;
  view: ClusterView;
  access: ReplicaAccess;
  clock: Clock;
  logger: Logger;
  /** Counts a read repair sent to a stale home replica. */
  onReadRepair: () => void;
  /** A write this node received but is not a home replica of, sent on to one that is. */
  onForward?: () => void;
  /**
   * Pulls the ring from a peer that refused a request with a newer ring version (a gossip
   * exchange with it); resolves when done or failed. Without it, refusals are never re-routed.
   */
  learnRing?: (fromNodeId: string) => Promise<void>;
  /** How many times one write is routed again after refusals under a newer ring (default 2). */
  reroutesMax?: number;
  /** Counts a write routed again under a newer ring learned from a refusal. */
  onReroute?: () => void;
  /**
   * Each key's replica count (its namespace's n). Absent: every key has the ring's N. A request's
   * own `n` (RequestOptions) wins: it is what the node that took the request judged.
   */
  replicaCounts?: ReplicaCounts;
  /**
   * A read asks its first r home replicas (this node, then those up), and the others when one
   * of those fails, when their answers do not settle it, or after this long (0: all at once;
   * absent: 0).
   */
  speculativeRetryMs?: number;
  /** Counts a read that asked more home replicas than its r. */
  onSpeculativeRead?: () => void;
}

/** A slot a read never needed: its home replica was not asked. */
class SlotNotAsked extends Error {}

/**
 * Holds back the slots of a read beyond its first r until `open` (a failure, an answer that does
 * not settle, or the speculative timer); `close` gives up on those never opened.
 */
class SlotGate {
  private release: (go: boolean) => void = () => undefined;
  private done = false;
  readonly decided: Promise<boolean> = new Promise((resolve) => {
    this.release = resolve;
  });
  open(): boolean {
    if (this.done) return false;
    this.done = true;
    this.release(true);
    return true;
  }
  close(): void {
    if (this.done) return;
    this.done = true;
    this.release(false);
  }
}

/** A replica's refusal (ownership fencing): who refused, and its ring version. */
interface Refusal {
  nodeId: string;
  ringVersion: number;
}

const REROUTES_MAX_DEFAULT = 2;

/** A local hint is a write to this node's own storage; it waits at most this long. */
const LOCAL_HINT_TIMEOUT_MS = 10_000;

/** Hands out fallback nodes (beyond the first N of the preference list) to slots whose home replica failed, each at most once. */
class FallbackPool {
  private readonly order: string[];
  private next = 0;
  constructor(fallbacks: readonly string[], status: (id: string) => LivenessStatus) {
    const rank = { up: 0, suspect: 1, down: 2 } as const;
    this.order = fallbacks
      .filter((id) => status(id) !== "down")
      .sort((a, b) => rank[status(a)] - rank[status(b)]);
  }
  take(): string | undefined {
    return this.order[this.next++];
  }
  get remaining(): number {
    return this.order.length - this.next;
  }
}

/**
 * Carries out a client request against the key's replicas with the request's quorum. Writes are
 * coordinated by a home replica (its actor is the dot): a node that is not one forwards them.
 * Reads are coordinated by whichever node took the request. A home replica that is down or does
 * not answer in time is replaced by the next healthy fallback (sloppy quorum): a write leaves a
 * hint there, a read asks it for the hints it holds for that replica.
 */
export class Coordinator {
  constructor(private readonly deps: CoordinatorDeps) {}

  private currentRing(): RingView {
    const ring = this.deps.view.ring();
    if (ring === undefined) throw new NotReadyError("the cluster has no ring yet; retry shortly");
    return ring;
  }

  partitionOf(key: Uint8Array): number {
    return partitionOf(key, this.currentRing().partitions);
  }

  /** The key's home replicas: the first n (its namespace's, else N) of its partition's preference list. */
  homeReplicas(key: Uint8Array): readonly string[] {
    const ring = this.currentRing();
    return ring.home(partitionOf(key, ring.partitions), this.nOf(key, undefined, ring));
  }

  /** A key's replica count: the request's, else its namespace's, else the ring's N. */
  nOf(key: Uint8Array, options?: { n?: number }, ring: RingView = this.currentRing()): number {
    return options?.n ?? this.deps.replicaCounts?.nOf(key) ?? ring.n;
  }

  /**
   * The merged history of the key from `r` slots, or undefined when none holds it. The first r
   * home replicas (this node first, then by liveness, then in preference order) are asked at
   * once; the others are held back by a SlotGate until one of the first fails, their answers
   * hold no version of the key (a "not found" waits for every slot, see awaitSlots), or
   * speculativeRetryMs passes. A read that needs only r answers costs r replica reads, not n.
   */
  async get(key: Uint8Array, options: RequestOptions): Promise<StoredObject | undefined> {
    const ring = this.currentRing();
    const partition = partitionOf(key, ring.partitions);
    const n = this.nOf(key, options, ring);
    const home = ring.home(partition, n);
    const pool = new FallbackPool(ring.preferenceList(partition).slice(n), (id) => this.deps.view.status(id));
    const deadlineMs = this.deps.clock.nowMs() + options.timeoutMs;
    const start = (id: string): Promise<SlotReply<StoredObject | undefined>> =>
      this.slot(
        id,
        pool,
        deadlineMs,
        (t) => this.deps.access.read(id, partition, key, t),
        (fallback, t) => this.deps.access.read(fallback, partition, key, t, id),
      );
    const speculativeMs = this.deps.speculativeRetryMs ?? 0;
    // A strict read (pr) counts home replicas only: it asks them all at once, as does 0.
    const gated =
      speculativeMs > 0 && options.pr === 0 && options.r < home.length
        ? this.gatedSlots(home, options.r, speculativeMs, start)
        : { slots: home.map(start), settle: () => undefined };
    const slots = gated.slots;
    let replies: SlotReply<StoredObject | undefined>[];
    try {
      replies = await awaitSlots(
        slots,
        options.r,
        options.pr,
        options.timeoutMs,
        this.deps.clock,
        "read",
        // Any version (a tombstone too) settles a read; "not found" settles it only once every
        // slot has answered (see awaitSlots).
        (answers) => answers.some((a) => a.value !== undefined),
      );
    } finally {
      gated.settle();
    }
    const merged = mergeAll(
      this.deps.replica.conflicts,
      replies.map((r) => r.value),
    );
    this.readRepair(ring.version, partition, key, slots, deadlineMs);
    // Expiry is judged here, by this node's clock, when the answer is made: an expired version
    // reads as a tombstone whichever replicas answered and whatever they hold (core/expiry.ts).
    // Read repair above sends the history itself, deadline included, never this view.
    return merged === undefined ? undefined : expiredAsTombstones(merged, this.deps.clock.nowMs());
  }

  /**
   * The slots of an r-first read: the first r of readOrder start now; the others wait on a
   * SlotGate, opened by the speculative timer, a failure of one of the first, or the first all
   * answering with no version of the key. `settle` (the read answered) gives up on those never
   * opened.
   */
  private gatedSlots<T extends { value: StoredObject | undefined }>(
    home: readonly string[],
    r: number,
    speculativeMs: number,
    start: (id: string) => Promise<T>,
  ): { slots: Promise<T>[]; settle: () => void } {
    const first = new Set(this.readOrder(home).slice(0, r));
    const gate = new SlotGate();
    const open = (): void => {
      if (gate.open()) this.deps.onSpeculativeRead?.();
    };
    const started: Promise<T>[] = [];
    const slots = home.map((id) => {
      if (!first.has(id))
        return gate.decided.then((go) => (go ? start(id) : Promise.reject(new SlotNotAsked())));
      const slot = start(id);
      started.push(slot);
      return slot;
    });
    const timer = this.deps.clock.setTimeout(open, speculativeMs);
    let answered = 0;
    let found = false;
    for (const slot of started)
      slot.then(
        (reply) => {
          answered += 1;
          found ||= reply.value !== undefined;
          if (answered === started.length && !found) open();
        },
        () => open(),
      );
    return {
      slots,
      settle: () => {
        this.deps.clock.clearTimeout(timer);
        gate.close();
      },
    };
  }

  /** Home replicas in the order a read asks them: this node, then up, suspect, down; each in preference order. */
  private readOrder(home: readonly string[]): string[] {
    const rank = (id: string): number => {
      if (id === this.deps.nodeId) return 0;
      const status = this.deps.view.status(id);
      return status === "up" ? 1 : status === "suspect" ? 2 : 3;
    };
    return home
      .map((id, i) => ({ id, i, rank: rank(id) }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map((x) => x.id);
  }

  /**
   * After the client has its answer, waits for the slots still out (until the deadline) and sends
   * the merged history to every home replica whose reply was behind it.
   */
  private readRepair(
    ringVersion: number,
    partition: number,
    key: Uint8Array,
    slots: readonly Promise<SlotReply<StoredObject | undefined>>[],
    deadlineMs: number,
  ): void {
    const settled = slots.map((s) =>
      s.then(
        (reply) => reply,
        () => undefined,
      ),
    );
    void Promise.all(settled).then(async (replies) => {
      const answered = replies.filter((r): r is SlotReply<StoredObject | undefined> => r !== undefined);
      const conflicts = this.deps.replica.conflicts;
      const merged = mergeAll(
        conflicts,
        answered.map((r) => r.value),
      );
      if (merged === undefined) return;
      const remainingMs = deadlineMs - this.deps.clock.nowMs();
      for (const reply of answered) {
        if (!reply.primary || (reply.value !== undefined && conflicts.same(reply.value, merged))) continue;
        this.deps.onReadRepair();
        this.deps.access
          .replicate(reply.nodeId, partition, key, merged, Math.max(1000, remainingMs), ringVersion)
          .catch((error: unknown) => {
            this.deps.logger.debug({ replica: reply.nodeId, err: error }, "read repair failed");
          });
      }
    });
  }

  /** Writes `sibling` superseding what `context` covers; resolves with the key's new history. */
  async put(
    key: Uint8Array,
    sibling: Sibling,
    context: VersionVector,
    options: RequestOptions,
  ): Promise<StoredObject> {
    const deadlineMs = this.deps.clock.nowMs() + options.timeoutMs;
    // The deadline is stamped once, here, so every replica (and a forwarded coordinator) stores
    // the same one; a tombstone never expires.
    const stamped =
      options.ttlS === undefined || sibling.deleted
        ? sibling
        : { ...sibling, expiresAtMs: expiryDeadlineMs(this.deps.clock.nowMs(), options.ttlS) };
    return this.putStamped(key, stamped, context, options, deadlineMs);
  }

  private async putStamped(
    key: Uint8Array,
    sibling: Sibling,
    context: VersionVector,
    options: RequestOptions,
    deadlineMs: number,
  ): Promise<StoredObject> {
    for (let reroute = 0; ; reroute++) {
      const ring = this.currentRing();
      const partition = partitionOf(key, ring.partitions);
      const home = ring.home(partition, this.nOf(key, options, ring));
      const timeoutMs = Math.max(1, deadlineMs - this.deps.clock.nowMs());
      const attempt = { ...options, timeoutMs };
      if (home.includes(this.deps.nodeId))
        return this.coordinatePut(partition, key, sibling, context, attempt);
      if (reroute === 0) this.deps.onForward?.();
      const refusals: Refusal[] = [];
      try {
        return await this.forward(home, ring.version, key, sibling, context, attempt, refusals);
      } catch (error) {
        // Only a NotOwnerError from forward says no replica applied the write (each one tried
        // refused it or could not be reached): routing it again then makes no duplicate sibling.
        if (!(error instanceof NotOwnerError)) throw error;
        if (!(await this.learnedNewerRing(ring, refusals, reroute, deadlineMs))) throw error;
        this.deps.onReroute?.();
      }
    }
  }

  /**
   * After a refusal under a newer ring: pulls that ring from the refusing replica (within the
   * re-route bound and the deadline) and says whether this node now holds a newer ring.
   */
  private async learnedNewerRing(
    ring: RingView,
    refusals: readonly Refusal[],
    reroute: number,
    deadlineMs: number,
  ): Promise<boolean> {
    const newer = refusals.find((r) => r.ringVersion > ring.version);
    const learn = this.deps.learnRing;
    if (newer === undefined || learn === undefined) return false;
    if (reroute >= (this.deps.reroutesMax ?? REROUTES_MAX_DEFAULT)) return false;
    if (this.deps.clock.nowMs() >= deadlineMs) return false;
    await learn(newer.nodeId);
    return this.currentRing().version > ring.version;
  }

  /** Learns a newer ring a refusal told of, in the background (the write itself succeeded). */
  private learnInBackground(ring: RingView, refusals: readonly Refusal[]): void {
    const newer = refusals.find((r) => r.ringVersion > ring.version);
    if (newer === undefined || this.deps.learnRing === undefined) return;
    this.deps.learnRing(newer.nodeId).catch((error: unknown) => {
      this.deps.logger.debug({ peer: newer.nodeId, err: error }, "ring pull after a refusal failed");
    });
  }

  /**
   * This node coordinates: the new version gets this node's dot, and is sent to the other home
   * replicas (or left as a hint on a fallback for those that are down or too slow) as soon as it
   * is applied here, while the local commit is still on its way to disk: one commit's latency
   * instead of two in a row. The local copy counts as one primary ack once it is durable; the
   * client is answered after `w` durable acks (`pw` of them primary). LocalReplica.coordinateWrite
   * and NodeMeta.beginRun keep a dot from being reissued if the local commit never lands.
   */
  async coordinatePut(
    partition: number,
    key: Uint8Array,
    sibling: Sibling,
    context: VersionVector,
    options: RequestOptions,
  ): Promise<StoredObject> {
    const deadlineMs = this.deps.clock.nowMs() + options.timeoutMs;
    let ring = this.currentRing();
    const home = ring.home(partition, this.nOf(key, options, ring));
    if (home.length < options.w || home.length < options.pw)
      throw new QuorumError(Math.max(options.w, options.pw), 0, "write", "replicas", home.length);
    let sendOn: (object: StoredObject) => void = () => undefined;
    const applied = new Promise<StoredObject>((resolve) => {
      sendOn = resolve;
    });
    const local = this.deps.replica.coordinateWrite(partition, key, context, sibling, (o) => sendOn(o));
    // The local write's own errors (sibling limit, full disk) are the client's answer; only
    // running out of time is a quorum failure. `local` settles only after `applied`, unless the
    // write failed before it was applied; a commit that fails later fails the local slot.
    const object = await withTimeout(
      Promise.race([applied, local]),
      options.timeoutMs,
      this.deps.clock,
      () => new QuorumError(options.w, 0, "write"),
    );
    for (let reroute = 0; ; reroute++) {
      const refusals: Refusal[] = [];
      try {
        await this.replicateWrite(ring, partition, key, object, local, deadlineMs, options, refusals);
        this.learnInBackground(ring, refusals);
        return object;
      } catch (error) {
        // The same object (same dot) goes to the replicas of the newer ring: no second version.
        if (!(await this.learnedNewerRing(ring, refusals, reroute, deadlineMs))) throw error;
        this.deps.onReroute?.();
        ring = this.currentRing();
      }
    }
  }

  /**
   * Sends a coordinated write to the home replicas of `ring` (and its incoming ones) and waits
   * for the quorum. A replica that refuses (NotOwnerError) fails its slot at once: no fallback
   * takes a hint for a node that will not keep the data, no refusal counts towards W, and the
   * refusal is recorded so the caller can route again under the newer ring.
   */
  private async replicateWrite(
    ring: RingView,
    partition: number,
    key: Uint8Array,
    object: StoredObject,
    local: Promise<unknown>,
    deadlineMs: number,
    options: RequestOptions,
    refusals: Refusal[],
  ): Promise<void> {
    const n = this.nOf(key, options, ring);
    const home = ring.home(partition, n);
    if (home.length < options.w || home.length < options.pw)
      throw new QuorumError(Math.max(options.w, options.pw), 0, "write", "replicas", home.length);
    const pool = new FallbackPool(ring.preferenceList(partition).slice(n), (id) => this.deps.view.status(id));
    const slots = home.map((id) => {
      if (id === this.deps.nodeId) return local.then(() => ({ nodeId: id, primary: true, value: undefined }));
      const slot = this.slot(
        id,
        pool,
        deadlineMs,
        (t) => this.deps.access.replicate(id, partition, key, object, t, ring.version),
        (fallback, t) => this.deps.access.hint(fallback, id, partition, key, object, t, ring.version),
        refusals,
      );
      // A home replica that took neither the write nor a hint on a fallback (down, too slow,
      // or no fallback exists, as with N equal to the cluster size) gets a hint here, so it
      // catches up as soon as it is back rather than at anti-entropy's pace (Cassandra hints
      // every replica that did not acknowledge). It does not count towards W. One that refused
      // gets none: it said it will not keep the partition.
      slot.catch((error: unknown) => {
        if (!(error instanceof NotOwnerError)) this.hintHere(id, partition, key, object);
      });
      return slot;
    });
    const remainingMs = Math.max(1, deadlineMs - this.deps.clock.nowMs());
    // While the partition moves, its future home replicas get the write too. They do not count
    // towards W (they may not hold the rest yet), but the client is answered only once each one
    // has it or a hint for it is durable here: no acknowledged write is missing after the move.
    const incoming = ring.incoming(partition, n).map((id) =>
      this.deps.access
        .replicate(id, partition, key, object, remainingMs, ring.version)
        .catch((error: unknown) => {
          if (error instanceof NotOwnerError) refusals.push({ nodeId: id, ringVersion: error.ringVersion });
          return this.deps.access.hint(this.deps.nodeId, id, partition, key, object, remainingMs);
        })
        .catch((error: unknown) =>
          this.deps.logger.warn({ target: id, err: error }, "write to an incoming owner failed"),
        ),
    );
    await awaitSlots(slots, options.w, options.pw, remainingMs, this.deps.clock, "write");
    await Promise.all(incoming);
  }

  /** Stores a hint for `target` on this node, in the background; a refusal (hint store full) is logged. */
  private hintHere(target: string, partition: number, key: Uint8Array, object: StoredObject): void {
    this.deps.access
      .hint(this.deps.nodeId, target, partition, key, object, LOCAL_HINT_TIMEOUT_MS)
      .catch((error: unknown) =>
        this.deps.logger.warn({ target, err: error }, "hint for a home replica not stored"),
      );
  }

  /**
   * One home slot: its replica if it is not known down (given half the remaining time when a
   * fallback could still take over), else, or on failure, the next fallback from the pool.
   */
  private async slot<T>(
    home: string,
    pool: FallbackPool,
    deadlineMs: number,
    primary: (timeoutMs: number) => Promise<T>,
    fallback: (nodeId: string, timeoutMs: number) => Promise<T>,
    refusals?: Refusal[],
  ): Promise<SlotReply<T>> {
    const remaining = (): number => Math.max(1, deadlineMs - this.deps.clock.nowMs());
    if (home === this.deps.nodeId || this.deps.view.status(home) !== "down") {
      const budget =
        home === this.deps.nodeId || pool.remaining === 0 ? remaining() : Math.ceil(remaining() / 2);
      try {
        return { nodeId: home, primary: true, value: await primary(budget) };
      } catch (error) {
        if (error instanceof NotOwnerError && refusals !== undefined) {
          refusals.push({ nodeId: home, ringVersion: error.ringVersion });
          throw error;
        }
        // Fall through to a fallback.
      }
    }
    for (let fallbackId = pool.take(); fallbackId !== undefined; fallbackId = pool.take()) {
      if (this.deps.clock.nowMs() >= deadlineMs) break;
      try {
        return { nodeId: fallbackId, primary: false, value: await fallback(fallbackId, remaining()) };
      } catch (error) {
        // A fallback refusing the hint (its ring says the target is no replica) tells of a newer ring too.
        if (error instanceof NotOwnerError)
          refusals?.push({ nodeId: fallbackId, ringVersion: error.ringVersion });
        // Try the next one.
      }
    }
    throw new QuorumError(1, 0, "write");
  }

  /**
   * Forwards a write to one home replica, preferring those the failure detector sees up. Only a
   * replica that could not be reached at all, or that refused the write as no replica of the key
   * (recorded in `refusals`), is skipped for the next; once one may have applied
   * the write, retrying elsewhere would make a duplicate sibling. Fallbacks never coordinate: a
   * fallback's actor could reissue a dot it already handed off.
   */
  private async forward(
    home: readonly string[],
    ringVersion: number,
    key: Uint8Array,
    sibling: Sibling,
    context: VersionVector,
    options: RequestOptions,
    refusals: Refusal[],
  ): Promise<StoredObject> {
    const rank = { up: 0, suspect: 1, down: 2 } as const;
    const ordered = [...home].sort((a, b) => rank[this.deps.view.status(a)] - rank[this.deps.view.status(b)]);
    for (const id of ordered) {
      if (this.deps.view.status(id) === "down") continue;
      try {
        return await this.deps.access.forwardPut(id, {
          key,
          sibling,
          context,
          w: options.w,
          pw: options.pw,
          timeoutMs: options.timeoutMs,
          ringVersion,
          n: this.nOf(key, options),
        });
      } catch (error) {
        // A refusal (ownership fencing) is made before anything is applied: the next may take it.
        if (error instanceof NotOwnerError) {
          refusals.push({ nodeId: id, ringVersion: error.ringVersion });
          continue;
        }
        if (!(error instanceof RingkvError) || error.code !== "peer_unreachable") throw error;
      }
    }
    // Every home replica refused or was unreachable, so none applied it: a refusal says so.
    const last = refusals[refusals.length - 1];
    if (last !== undefined)
      throw new NotOwnerError(partitionOf(key, this.currentRing().partitions), last.ringVersion);
    throw new QuorumError(options.w, 0, "write");
  }

  /**
   * With a context, a tombstone supersedes what it covers. Without one, the key is read at
   * quorum first and everything found is deleted (as Riak does); nothing found means nothing to do.
   */
  async delete(
    key: Uint8Array,
    context: VersionVector | undefined,
    options: RequestOptions,
  ): Promise<StoredObject | undefined> {
    let deleteContext = context;
    if (deleteContext === undefined) {
      const current = await this.get(key, options);
      if (current === undefined || current.entries.length === 0) return current;
      deleteContext = join(current);
    }
    return this.put(key, tombstone(this.deps.clock.nowMs()), deleteContext, options);
  }
}

function mergeAll(
  conflicts: ConflictResolution,
  objects: readonly (StoredObject | undefined)[],
): StoredObject | undefined {
  let merged: StoredObject | undefined;
  for (const o of objects)
    if (o !== undefined) merged = merged === undefined ? o : conflicts.merge(merged, o);
  return merged;
}
