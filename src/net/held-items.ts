import assert from "node:assert/strict";
import type { TimerHandle } from "../clock/clock.js";
import type { RingkvError } from "../errors.js";

/** Something held back on a timer: a dropped request waiting out its timeout, or a delayed delivery. */
export interface HeldItem {
  readonly peerId: string;
  timer: TimerHandle | undefined;
  /** True for an incoming request from a dropped peer: nothing will ever deliver it. */
  readonly silenced: boolean;
  /** Settles the item without delivering it (stop, eviction, heal); `error` goes to a request's caller. */
  abandon(error: RingkvError): void;
}

/** The held items of one kind, counted per peer so each peer's share is bounded. */
export class HeldItems {
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
