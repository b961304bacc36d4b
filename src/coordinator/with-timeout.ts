import type { Clock } from "../clock/clock.js";

/** Settles like `promise`, or rejects with `onTimeout()` if `timeoutMs` passes first. */
export function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  clock: Clock,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), timeoutMs);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}
