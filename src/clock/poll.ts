import { RingkvError } from "../errors.js";

export interface PollOptions {
  /** Give up once this long has passed since the first ask. */
  timeoutMs: number;
  /**
   * The longest pause between two asks. Pauses start at 5 ms and double up to this, so a
   * condition that holds almost at once is seen at once, and a long wait does not flood a node's
   * HTTP API with requests.
   */
  intervalMs?: number;
}

const FIRST_INTERVAL_MS = 5;
const DEFAULT_INTERVAL_MS = 100;

/** A wait that ran out: it names what it waited for and the last error its probe threw. */
export class PollTimeoutError extends RingkvError {
  readonly code = "poll_timeout";
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastError: unknown,
  ) {
    super(
      `timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastError === undefined ? "" : ` (last error: ${describe(lastError)})`),
      { cause: lastError },
    );
  }
}

/**
 * Asks `probe` in real time until it returns a value other than undefined, and resolves with
 * that value; resolves with undefined once `timeoutMs` has passed. A probe that throws (a node
 * still starting, a refused connection) counts as "not yet". Polling instead of sleeping keeps a
 * wait as short as the system allows and still bounded on a slow machine.
 */
export async function pollUntil<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  options: PollOptions,
): Promise<T | undefined> {
  const result = await poll(probe, options);
  return result.value;
}

/**
 * Asks `check` until it returns true. Past `timeoutMs` it throws a PollTimeoutError naming
 * `what` (and the last error `check` threw), so a test that waits for something also asserts it.
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: PollOptions | number = 5_000,
): Promise<void> {
  const resolved = typeof options === "number" ? { timeoutMs: options } : options;
  const result = await poll(async () => ((await check()) ? true : undefined), resolved);
  if (result.value === undefined) throw new PollTimeoutError(what, resolved.timeoutMs, result.lastError);
}

async function poll<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  options: PollOptions,
): Promise<{ value: T | undefined; lastError: unknown }> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMsMax = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  let pauseMs = Math.min(FIRST_INTERVAL_MS, intervalMsMax);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return { value, lastError: undefined };
    } catch (error) {
      lastError = error;
    }
    const leftMs = deadline - Date.now();
    if (leftMs <= 0) return { value: undefined, lastError };
    await new Promise((resolve) => setTimeout(resolve, Math.min(pauseMs, leftMs)));
    pauseMs = Math.min(pauseMs * 2, intervalMsMax);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
