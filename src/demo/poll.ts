/**
 * Asks `probe` every `intervalMs` until it returns a value (not undefined) or `timeoutMs` has
 * passed; resolves with that value, or undefined on timeout. A probe that throws (a node still
 * starting, a refused connection) counts as "not yet". Polling instead of sleeping keeps the demo
 * as fast as the cluster allows and still bounded on a slow machine.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // Not yet: try again until the deadline.
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
}

/** Seconds elapsed since `startMs`, with one decimal, for narration ("after 2.4 s"). */
export function secondsSince(startMs: number): string {
  return ((Date.now() - startMs) / 1000).toFixed(1);
}
