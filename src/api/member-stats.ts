import { request } from "node:http";
import { parseAddress } from "../config/address.js";
import type { StatsResult } from "./cluster-overview.js";
import type { MemberInfo } from "./interface.js";
import { BadStatsError, parseNodeStats } from "./node-stats.js";

export interface MemberStatsOptions {
  /** A member that has not answered /stats by then is shown as "timeout". */
  timeoutMs: number;
  /** /stats requests in flight at once for one overview. */
  concurrencyMax: number;
  /** A larger /stats body is refused ("bad_response"), not read. */
  bodyBytesMax: number;
}

export const defaultMemberStatsOptions: MemberStatsOptions = {
  timeoutMs: 800,
  concurrencyMax: 8,
  bodyBytesMax: 64 * 1024,
};

/**
 * Asks each member for its GET /stats, `concurrencyMax` at a time. Never throws: a member that
 * fails is a StatsResult with the reason, so one bad member never fails the whole overview.
 */
export async function fetchMemberStats(
  members: readonly MemberInfo[],
  options: MemberStatsOptions,
): Promise<Map<string, StatsResult>> {
  const results = await mapBounded(members, options.concurrencyMax, (m) => fetchOne(m, options));
  return new Map(members.map((m, i) => [m.id, results[i] as StatsResult]));
}

/** Runs `fn` over `items` with at most `limit` calls pending; results keep the items' order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit ${limit} is not a positive integer`);
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Where to reach a member's client API. A node bound to a wildcard address (0.0.0.0 or ::)
 * announces that, which no one can dial; its inter-node host is the one its peers reach it on.
 */
export function statsAddress(member: Pick<MemberInfo, "http" | "listen">): { host: string; port: number } {
  const http = parseAddress(member.http, "member http address");
  if (http.host !== "0.0.0.0" && http.host !== "::") return http;
  const listen = parseAddress(member.listen, "member listen address");
  return { host: listen.host, port: http.port };
}

async function fetchOne(member: MemberInfo, options: MemberStatsOptions): Promise<StatsResult> {
  let address: { host: string; port: number };
  try {
    address = statsAddress(member);
  } catch {
    return { ok: false, error: "unreachable" };
  }
  try {
    const text = await getText(address, "/stats", options);
    const stats = parseNodeStats(JSON.parse(text));
    // A different node answering at that address (a restart on a reused port) is not this member.
    if (stats.id !== member.id) return { ok: false, error: "bad_response" };
    return { ok: true, stats };
  } catch (error) {
    if (error instanceof BadStatsError || error instanceof SyntaxError)
      return { ok: false, error: "bad_response" };
    if (error instanceof Error && error.name === "TimeoutError") return { ok: false, error: "timeout" };
    return { ok: false, error: "unreachable" };
  }
}

/** One GET with a deadline and a body size limit; a non-200 answer is a BadStatsError. */
function getText(
  address: { host: string; port: number },
  path: string,
  options: MemberStatsOptions,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: address.host,
        port: address.port,
        path,
        method: "GET",
        // A fresh connection each time: an overview is at most one request per member per
        // second, and pooled sockets would outlive the node's shutdown.
        agent: false,
        headers: { accept: "application/json", connection: "close" },
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new BadStatsError(`status ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > options.bodyBytesMax) {
            req.destroy(new BadStatsError(`body over ${options.bodyBytesMax} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        res.on("error", reject);
      },
    );
    req.on("error", (error: Error) => {
      // The abort signal's reason is a DOMException named TimeoutError; report it as one.
      const reason = (error as { cause?: unknown }).cause;
      reject(reason instanceof Error && reason.name === "TimeoutError" ? reason : error);
    });
    req.end();
  });
}
