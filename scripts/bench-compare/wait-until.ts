import { setTimeout as sleep } from "node:timers/promises";
import type { Tracked } from "./process-group.js";
import { tailOf } from "./process-group.js";

/**
 * Polls `check` every `intervalMs` until it is true. Fails with the processes' log tails when a
 * watched process exits first or `timeoutMs` passes.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  watched: Tracked[],
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    const dead = watched.find((t) => t.child.exitCode !== null || t.child.signalCode !== null);
    if (dead !== undefined)
      throw new Error(`${dead.name} exited while waiting for ${what}:\n${tailOf(dead.logPath)}`);
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(intervalMs);
  }
  const logs = watched.map((t) => `--- ${t.name}\n${tailOf(t.logPath, 10)}`).join("\n");
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${lastError})\n${logs}`);
}

export async function httpJson<T>(url: string, timeoutMs = 2000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
