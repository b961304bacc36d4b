import type { ClientSecurityOptions } from "../client/client-options.js";
import { NodeHttpClient } from "../client/http-client.js";
import { pollUntil } from "../clock/poll.js";
import { ConfigError } from "../errors.js";

/** How the nodes are reached: plain HTTP with no token by default; HTTPS and a token for `dev --secure`. */
export interface LocalAccess extends ClientSecurityOptions {
  scheme: "http" | "https";
}

const PLAIN: LocalAccess = { scheme: "http" };

function clientFor(http: string, access: LocalAccess): NodeHttpClient {
  return new NodeHttpClient(`${access.scheme}://${http}`, {
    requestTimeoutMs: 1000,
    token: access.token,
    ca: access.ca,
  });
}

/** Polls GET /health until it answers 200; fails if the process exits first or the time runs out. */
export async function waitHealthy(
  http: string,
  exited: Promise<number | null>,
  timeoutMs: number,
  access: LocalAccess = PLAIN,
): Promise<void> {
  const client = clientFor(http, access);
  let dead: { code: number | null } | undefined;
  exited.then((code) => {
    dead = { code };
  });
  const outcome = await pollUntil(
    async () => {
      if (dead !== undefined) return dead;
      try {
        await client.getJson("/health");
        return "healthy";
      } catch {
        return undefined;
      }
    },
    { timeoutMs },
  ).finally(() => client.close());
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
export async function waitMembers(
  https: readonly string[],
  count: number,
  timeoutMs: number,
  access: LocalAccess = PLAIN,
): Promise<void> {
  const clients = https.map((http) => clientFor(http, access));
  const seesAll = async (client: NodeHttpClient): Promise<boolean> => {
    try {
      const body = await client.getJson<{ members: { state: string; status: string }[] }>("/cluster/members");
      return body.members.filter((m) => m.state === "active" && m.status === "up").length === count;
    } catch {
      return false;
    }
  };
  const settled = await pollUntil(
    async () => ((await Promise.all(clients.map(seesAll))).every(Boolean) ? true : undefined),
    { timeoutMs, intervalMs: 200 },
  ).finally(() => {
    for (const client of clients) client.close();
  });
  if (settled === undefined)
    throw new ConfigError(`the cluster did not reach ${count} active members within ${timeoutMs} ms`);
}
