import type { Clock, TimerHandle } from "../clock/clock.js";
import { type MemoryPacket, packetBytes } from "./memory-packet.js";

interface Scheduled {
  atMs: number;
  /** Breaks ties between equal times: equal times leave in the order they were queued. */
  seq: number;
  packet: MemoryPacket;
}

/**
 * The packets in flight on one directed link (from -> to), delivered in order of delivery time
 * and, for equal times, in the order sent. Without a delay fault every packet's time is its send
 * time, so the link is FIFO like a TCP connection; a delay fault gives each packet its own random
 * delay, so packets on the link can overtake each other. One clock timer per link, for its
 * earliest packet, so ordering never depends on how the clock orders equal timers.
 */
export class MemoryLinkQueue {
  private readonly items: Scheduled[] = [];
  private timer: TimerHandle | undefined;
  private timerAtMs = 0;
  private nextSeq = 0;
  private bytes = 0;

  constructor(
    private readonly clock: Clock,
    private readonly deliver: (packet: MemoryPacket) => void,
    private readonly onEmpty: () => void,
  ) {}

  get queuedBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.items.length;
  }

  push(packet: MemoryPacket, delayMs: number): void {
    const item: Scheduled = { atMs: this.clock.nowMs() + delayMs, seq: this.nextSeq++, packet };
    // Usually the latest time: search from the end for the slot after every item due no later.
    let index = this.items.length;
    while (index > 0 && (this.items[index - 1] as Scheduled).atMs > item.atMs) index--;
    this.items.splice(index, 0, item);
    this.bytes += packetBytes(packet);
    this.schedule();
  }

  /** Forgets every queued packet (the network is being torn down). */
  clear(): void {
    this.items.length = 0;
    this.bytes = 0;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const head = this.items[0];
    if (head === undefined) return;
    if (this.timer !== undefined) {
      if (this.timerAtMs <= head.atMs) return;
      this.clock.clearTimeout(this.timer);
    }
    this.timerAtMs = head.atMs;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, head.atMs - this.clock.nowMs()));
  }

  private fire(): void {
    this.timer = undefined;
    const nowMs = this.clock.nowMs();
    let due = 0;
    while (due < this.items.length && (this.items[due] as Scheduled).atMs <= nowMs) due++;
    // Taken out before delivering: what a delivery sends on this link waits for the next turn.
    const batch = this.items.splice(0, due);
    for (const item of batch) this.bytes -= packetBytes(item.packet);
    this.schedule();
    for (const item of batch) this.deliver(item.packet);
    if (this.items.length === 0 && this.timer === undefined) this.onEmpty();
  }
}
