import { pollUntil } from "../clock/poll.js";
import { ConfigError } from "../errors.js";

/** Polls GET /health until it answers 200; fails if the process exits first or the time runs out. */
export async function waitHealthy(
  http: string,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  let dead: { code: number | null } | undefined;
  exited.then((code) => {
    dead = { code };
  });
  const outcome = await pollUntil(
    async () => {
      if (dead !== undefined) return dead;
      const res = await fetch(`http://${http}/health`, { signal: AbortSignal.timeout(1000) });
      return res.status === 200 ? "healthy" : undefined;
    },
    { timeoutMs },
  );
  if (outcome === undefined)
    throw new ConfigError(`node at ${http} did not become healthy within ${timeoutMs} ms`);
  if (outcome !== "healthy")
    throw new ConfigError(`node at ${http} exited with ${outcome.code} while starting (see its log above)`);
}

/**
 * Polls GET /cluster/members on every node until each one sees `count` members active and up.
 * Asking only one node is not enough: another may not have heard of the last joiner yet, and a
 * request it coordinates would then count that replica as down.
 */
export async function waitMembers(https: readonly string[], count: number, timeoutMs: number): Promise<void> {
  const seesAll = async (http: string): Promise<boolean> => {
    try {
      const res = await fetch(`http://${http}/cluster/members`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { members: { state: string; status: string }[] };
      return body.members.filter((m) => m.state === "active" && m.status === "up").length === count;
    } catch {
      return false;
    }
  };
  const settled = await pollUntil(
    async () => ((await Promise.all(https.map(seesAll))).every(Boolean) ? true : undefined),
    { timeoutMs, intervalMs: 200 },
  );
  if (settled === undefined)
    throw new ConfigError(`the cluster did not reach ${count} active members within ${timeoutMs} ms`);
}
