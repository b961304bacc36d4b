import assert from "node:assert/strict";
import { waitFor } from "../../src/clock/poll.js";
import { getJson } from "./cluster.js";

/** What the ring-change tests read of `GET /cluster/members`. */
export interface WatchedMember {
  id: string;
  state: string;
  status: string;
  load: { keys: number };
  transfer: { version: number; remaining: number };
}

/** What the ring-change tests read of `GET /cluster/ring`. */
export interface WatchedRing {
  version: number;
  n: number;
  owners: string[][];
  next?: string[][] | null;
}

export function members(url: string): Promise<WatchedMember[]> {
  return getJson<{ members: WatchedMember[] }>(`${url}/cluster/members`).then((b) => b.members);
}

export function ring(url: string): Promise<WatchedRing> {
  return getJson<WatchedRing>(`${url}/cluster/ring`);
}

/** A node's own `load.keys`, from its own /cluster/members (fresh within its 1 s refresh). */
export async function ownKeys(url: string, id: string): Promise<number> {
  const self = (await members(url)).find((m) => m.id === id);
  assert.ok(self !== undefined, `${id} lists itself`);
  return self.load.keys;
}

/** Ids of every node in a ring's home replica lists (the first n of each list). */
export function homeNodes(lists: readonly (readonly string[])[], n: number): Set<string> {
  return new Set(lists.flatMap((list) => list.slice(0, n)));
}

/**
 * Waits until `via` sees the ring change done: no change pending, exactly `owners` own
 * partitions (each as someone's primary, nobody else anywhere in the lists), each of them an
 * active member, and every id in `outside` (a member that owns nothing) still not active.
 */
export async function changeDone(
  url: string,
  owners: readonly string[],
  outside: readonly string[],
  timeoutMs: number,
): Promise<void> {
  let last = "";
  await waitFor(
    `ring over ${owners.join(",")} with no pending change`,
    async () => {
      const [list, r] = await Promise.all([members(url), ring(url)]);
      const primaries = new Set(r.owners.map((l) => l[0]));
      const everywhere = new Set(r.owners.flat());
      last = JSON.stringify({
        version: r.version,
        pending: r.next !== null,
        members: list.map((m) => `${m.id}:${m.state}:${m.status}`),
        primaries: [...primaries].sort(),
      });
      return (
        r.next === null &&
        primaries.size === owners.length &&
        everywhere.size === owners.length &&
        owners.every((id) => primaries.has(id)) &&
        owners.every((id) => list.some((m) => m.id === id && m.state === "active")) &&
        outside.every((id) => list.some((m) => m.id === id && m.state !== "active"))
      );
    },
    timeoutMs,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; last seen: ${last}`);
  });
}

/** Waits until the live nodes' `load.keys` sum to `total` (each key on exactly N of them). */
export async function keysSumTo(
  urls: ReadonlyMap<string, string>,
  total: number,
  timeoutMs: number,
): Promise<Map<string, number>> {
  let last = new Map<string, number>();
  await waitFor(
    `load.keys of ${[...urls.keys()].join(",")} to sum to ${total}`,
    async () => {
      last = new Map(
        await Promise.all([...urls].map(async ([id, url]) => [id, await ownKeys(url, id)] as const)),
      );
      return [...last.values()].reduce((a, b) => a + b, 0) === total;
    },
    timeoutMs,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; last load.keys: ${JSON.stringify([...last])}`);
  });
  return last;
}
