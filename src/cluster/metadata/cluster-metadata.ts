import type { Clock, TimerHandle } from "../../clock/clock.js";
import { nextDelayMs, type RoundOutcome } from "../../clock/idle-backoff.js";
import {
  digestOf,
  entryId,
  type MetadataEntry,
  type MetadataSpace,
  type MetadataValue,
  newerEntry,
  nextVersion,
} from "../../core/metadata/entry.js";
import { RingkvError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { decodeValue, encodeValue } from "../../net/wire.js";
import { type HandlerEntry, handler, type MemberClient, peerMessages } from "../../protocol/index.js";
import {
  isRefusedEntry,
  metadataEntryProblem,
  type RefusedMetadataEntry,
} from "../../protocol/metadata-schema.js";
import type { Random } from "../../random/random.js";
import type { StorageEngine } from "../../storage/engine.js";
import type { ClusterView } from "../cluster-view.js";

/** The store is full: a new key is refused (updates and deletes of existing keys still work). */
export class MetadataFullError extends RingkvError {
  readonly code = "metadata_full";
}

export interface ClusterMetadataOptions {
  /** An anti-entropy round with one random live peer starts this often. */
  syncIntervalMs: number;
  /**
   * While rounds find the peer's digest equal to ours, each waits twice as long as the last, up
   * to this (idle-backoff.ts); a round that finds a difference brings the pace back. Kept under
   * the 5 s a token change may take to reach every node, for a node that missed its push.
   */
  idleSyncIntervalMaxMs: number;
  /** One sync or push gives up after this long. */
  requestTimeoutMs: number;
  /** Entries (tombstones included) the store holds at most. */
  entriesMax: number;
}

export interface ClusterMetadataDeps {
  selfId: string;
  storage: StorageEngine;
  peers: MemberClient;
  view: ClusterView;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/** Metadata entries live in the `meta` store under this prefix, next to the node's own records. */
const KEY_PREFIX = "cluster-metadata/";
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The cluster metadata on this node: every entry, in memory and durable in the `meta` store.
 * A local change is durable here before it resolves, then pushed to every live member at once;
 * every syncIntervalMs a digest exchange with one random live member repairs whatever a push
 * missed (a node that was down, a node that joined later). The merge is core/metadata/entry.ts.
 */
/** Skipped peer entries logged one by one per message; beyond it, one line with the count. */
const REFUSALS_LOGGED_MAX = 3;

export class ClusterMetadata {
  private readonly entries = new Map<string, MetadataEntry>();
  private readonly listeners = new Map<MetadataSpace, Set<() => void>>();
  private timer: TimerHandle | undefined;
  private running = false;
  private digestCache: string | undefined;
  private delayMs: number;

  constructor(
    private readonly deps: ClusterMetadataDeps,
    private readonly options: ClusterMetadataOptions,
  ) {
    this.delayMs = options.syncIntervalMs;
    const start = enc(KEY_PREFIX);
    const end = enc(`${KEY_PREFIX}\uffff`);
    for (const [, bytes] of deps.storage.scan("meta", { start, end })) {
      const entry = decodeValue(bytes);
      const problem = metadataEntryProblem(entry);
      if (problem !== undefined) {
        deps.logger.warn({ problem }, "stored metadata entry skipped: not well formed");
        continue;
      }
      const e = entry as MetadataEntry;
      this.entries.set(entryId(e.space, e.key), { ...e, value: e.value ?? null });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(space: MetadataSpace, key: string): MetadataValue | undefined {
    return this.entries.get(entryId(space, key))?.value ?? undefined;
  }

  /** The live (not deleted) entries of a space, by key. */
  list(space: MetadataSpace): [string, MetadataValue][] {
    const out: [string, MetadataValue][] = [];
    for (const e of this.entries.values())
      if (e.space === space && e.value !== null) out.push([e.key, e.value]);
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Every entry, tombstones included (sync, tests). */
  all(): MetadataEntry[] {
    return [...this.entries.values()];
  }

  digest(): string {
    this.digestCache ??= digestOf(this.entries.values());
    return this.digestCache;
  }

  onChange(space: MetadataSpace, listener: () => void): void {
    let set = this.listeners.get(space);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(space, set);
    }
    set.add(listener);
  }

  set(space: MetadataSpace, key: string, value: MetadataValue): Promise<void> {
    return this.write(space, key, value);
  }

  delete(space: MetadataSpace, key: string): Promise<void> {
    return this.write(space, key, null);
  }

  private async write(space: MetadataSpace, key: string, value: MetadataValue | null): Promise<void> {
    const current = this.entries.get(entryId(space, key));
    if (current === undefined && value !== null && this.entries.size >= this.options.entriesMax) {
      throw new MetadataFullError(`the cluster metadata holds ${this.options.entriesMax} entries, its limit`);
    }
    const entry: MetadataEntry = {
      space,
      key,
      value,
      version: nextVersion(this.deps.clock.nowMs(), current),
      writer: this.deps.selfId,
    };
    const problem = metadataEntryProblem(entry);
    if (problem !== undefined) throw new Error(`metadata entry not well formed: ${problem}`);
    await this.merge([entry]);
    this.pushToAll([entry]);
    // Rounds after a change run at the fast pace again, so a peer whose push was lost gets it soon.
    this.delayMs = this.options.syncIntervalMs;
  }

  /** A peer's entries without the ones this node cannot take, each of which is logged. */
  private usable(entries: readonly (MetadataEntry | RefusedMetadataEntry)[], peer: string): MetadataEntry[] {
    const out: MetadataEntry[] = [];
    let refused = 0;
    for (const e of entries) {
      if (!isRefusedEntry(e)) out.push(e);
      else if (++refused <= REFUSALS_LOGGED_MAX)
        this.deps.logger.warn(
          { peer, problem: e.refused },
          "metadata entry from a peer skipped: not usable here",
        );
    }
    if (refused > REFUSALS_LOGGED_MAX)
      this.deps.logger.warn({ peer, refused }, "metadata entries from a peer skipped: not usable here");
    return out;
  }

  /** Merges entries (ours or a peer's), stores the ones that won, and tells listeners. */
  private async merge(incoming: readonly MetadataEntry[]): Promise<number> {
    const won: MetadataEntry[] = [];
    for (const e of incoming) {
      const id = entryId(e.space, e.key);
      const mine = this.entries.get(id);
      if (mine !== undefined && newerEntry(mine, e) === mine) continue;
      if (mine === undefined && this.entries.size + won.length >= this.options.entriesMax) {
        this.deps.logger.warn({ space: e.space, key: e.key }, "metadata entry dropped: the store is full");
        continue;
      }
      won.push(e);
    }
    if (won.length === 0) return 0;
    await this.deps.storage.batch(
      won.map((e) => ({
        store: "meta" as const,
        key: enc(`${KEY_PREFIX}${entryId(e.space, e.key)}`),
        value: encodeValue(e),
      })),
    );
    const spaces = new Set<MetadataSpace>();
    for (const e of won) {
      // Another merge may have stored a newer one while this batch was on its way to disk.
      const id = entryId(e.space, e.key);
      const mine = this.entries.get(id);
      if (mine === undefined || newerEntry(mine, e) === e) this.entries.set(id, e);
      spaces.add(e.space);
    }
    this.digestCache = undefined;
    for (const space of spaces) for (const listener of this.listeners.get(space) ?? []) listener();
    return won.length;
  }

  handlers(): HandlerEntry[] {
    return [
      handler(peerMessages.metaSync, (r) => {
        const digest = this.digest();
        return { digest, entries: r.digest === digest ? [] : this.all() };
      }),
      handler(peerMessages.metaPush, async (r, from) => {
        await this.merge(this.usable(r.entries, from.id));
        return {};
      }),
    ];
  }

  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.deps.clock.setTimeout(() => {
      void this.syncRound()
        .then((outcome) => {
          this.delayMs = nextDelayMs(this.delayMs, outcome, {
            intervalMs: this.options.syncIntervalMs,
            idleIntervalMaxMs: Math.max(this.options.syncIntervalMs, this.options.idleSyncIntervalMaxMs),
          });
        })
        .finally(() => this.schedule());
    }, this.delayMs);
  }

  /** Live members other than this node. */
  private peers(): string[] {
    return this.deps.view
      .state()
      .members.filter(
        (m) => m.id !== this.deps.selfId && m.state !== "left" && this.deps.view.status(m.id) !== "down",
      )
      .map((m) => m.id);
  }

  /**
   * One digest exchange with a random live peer; both end with the union of their entries.
   * "idle" when the peer held the same entries (or there was no peer), else "busy".
   */
  async syncRound(): Promise<RoundOutcome> {
    const peers = this.peers();
    if (peers.length === 0) return "idle";
    const peer = peers[this.deps.random.uint32() % peers.length] as string;
    const timeout = { timeoutMs: this.options.requestTimeoutMs };
    try {
      const answer = await this.deps.peers.request(
        peer,
        peerMessages.metaSync,
        { digest: this.digest() },
        timeout,
      );
      if (answer.digest === this.digest()) return "idle";
      const entries = this.usable(answer.entries, peer);
      await this.merge(entries);
      if (this.digest() !== answer.digest) {
        // The peer lacks something of ours (or holds older versions): send what it has not got.
        const theirs = new Map(entries.map((e) => [entryId(e.space, e.key), e]));
        const missing = this.all().filter((e) => {
          const t = theirs.get(entryId(e.space, e.key));
          return t === undefined || newerEntry(t, e) === e;
        });
        if (missing.length > 0)
          await this.deps.peers.request(peer, peerMessages.metaPush, { entries: missing }, timeout);
      }
    } catch (error) {
      this.deps.logger.debug({ peer, err: error }, "metadata sync failed; the next round retries");
    }
    return "busy";
  }

  private pushToAll(entries: MetadataEntry[]): void {
    for (const peer of this.peers()) {
      this.deps.peers
        .request(peer, peerMessages.metaPush, { entries }, { timeoutMs: this.options.requestTimeoutMs })
        .catch((error: unknown) => {
          // Anti-entropy delivers it later.
          this.deps.logger.debug({ peer, err: error }, "metadata push failed");
        });
    }
  }
}
