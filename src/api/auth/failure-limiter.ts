/** How failed authentications are limited (per source address). */
export interface FailureLimiterOptions {
  /** Failures one source may have in a window; the next request in the window is refused unchecked. */
  failuresPerSourceMax: number;
  windowMs: number;
  /** Sources tracked at once; the oldest is forgotten to make room (bounded memory). */
  sourcesMax: number;
}

interface SourceWindow {
  startMs: number;
  failures: number;
}

/**
 * Counts failed authentications per source in fixed windows, so guessing tokens from one address
 * is slow: after failuresPerSourceMax failures the source is refused until its window ends. Pure
 * apart from the map: the caller passes the time.
 */
export class FailureLimiter {
  private readonly sources = new Map<string, SourceWindow>();

  constructor(private readonly options: FailureLimiterOptions) {}

  /** Seconds until `source` may try again, or 0 when it may now. */
  blockedForS(source: string, nowMs: number): number {
    const window = this.sources.get(source);
    if (window === undefined) return 0;
    const endMs = window.startMs + this.options.windowMs;
    if (nowMs >= endMs) {
      this.sources.delete(source);
      return 0;
    }
    return window.failures >= this.options.failuresPerSourceMax ? Math.ceil((endMs - nowMs) / 1000) : 0;
  }

  /** Records a failure; returns the source's failures in its current window. */
  failed(source: string, nowMs: number): number {
    let window = this.sources.get(source);
    if (window === undefined || nowMs >= window.startMs + this.options.windowMs) {
      this.sources.delete(source);
      if (this.sources.size >= this.options.sourcesMax) {
        const oldest = this.sources.keys().next();
        if (oldest.done !== true) this.sources.delete(oldest.value);
      }
      window = { startMs: nowMs, failures: 0 };
      this.sources.set(source, window);
    }
    window.failures += 1;
    return window.failures;
  }

  get trackedSources(): number {
    return this.sources.size;
  }
}
