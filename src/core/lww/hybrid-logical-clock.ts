/**
 * Hybrid logical clocks (Kulkarni, Demirbas et al., "Logical Physical Clocks", OPODIS 2014): a
 * timestamp is (physical milliseconds, logical counter). It stays close to the wall clock, yet a
 * node never issues a stamp at or below one it issued or saw before, so a write coordinated after
 * a node saw a version is stamped above that version even if its own wall clock is behind.
 */

/** Ordered by wallMs, then logical. Both are non-negative safe integers. */
export interface HlcStamp {
  readonly wallMs: number;
  readonly logical: number;
}

export function compareHlcStamps(a: HlcStamp, b: HlcStamp): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return 0;
}

/** One node's hybrid logical clock; `nowMs` is the injected wall clock (virtual in tests). */
export class HybridLogicalClock {
  private last: HlcStamp = { wallMs: 0, logical: 0 };

  constructor(private readonly nowMs: () => number) {}

  /** A stamp above every stamp this clock issued or observed. */
  next(): HlcStamp {
    const now = Math.floor(this.nowMs());
    if (now > this.last.wallMs) {
      this.last = { wallMs: now, logical: 0 };
    } else {
      // The wall clock is behind (or still in) the last stamp's millisecond: count on from it.
      if (this.last.logical >= Number.MAX_SAFE_INTEGER) throw new Error("hybrid logical clock overflowed");
      this.last = { wallMs: this.last.wallMs, logical: this.last.logical + 1 };
    }
    return this.last;
  }

  /** Notes a stamp seen elsewhere: later stamps from this clock are above it. */
  observe(stamp: HlcStamp): void {
    if (compareHlcStamps(stamp, this.last) > 0) this.last = stamp;
  }

  /** The last stamp issued or observed. */
  get current(): HlcStamp {
    return this.last;
  }
}
