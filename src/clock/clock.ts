/** Time as the node sees it. Real in a process; virtual in the simulation. */
export interface Clock {
  nowMs(): number;
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: unknown;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimeout(fn, delayMs) {
    const t = setTimeout(fn, delayMs);
    // A pending request timeout must not keep a stopping process alive.
    t.unref();
    return { id: t };
  },
  clearTimeout(handle) {
    clearTimeout(handle.id as NodeJS.Timeout);
  },
};
