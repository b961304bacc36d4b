import type { ClusterSettings, RequestLimits } from "../config/node-options.js";
import type { RequestOptions } from "../coordinator/request-options.js";
import { TTL_S_MAX } from "../core/expiry.js";
import { effectiveOptions, type NamespaceProperties } from "../core/namespace/index.js";
import { BadRequestError } from "../errors.js";

const KNOWN_PARAMS = new Set(["r", "w", "pr", "pw", "timeout_ms", "ttl_s"]);

/**
 * Parses `r`, `w`, `pr`, `pw`, `timeout_ms` and `ttl_s` (PUT only: kv-routes refuses it elsewhere). Unknown or repeated parameters are refused: a typo like `W=3`
 * silently ignored would give a weaker write than the client asked for. `r`/`w` also take the
 * symbolic `one`, `quorum` and `all`, as in Riak. What the request leaves out comes from its
 * namespace's properties, then the cluster's (core/namespace effectiveOptions).
 */
export function parseRequestOptions(
  query: string,
  settings: ClusterSettings,
  limits: RequestLimits,
  properties: NamespaceProperties = {},
): RequestOptions {
  const params = new URLSearchParams(query);
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (!KNOWN_PARAMS.has(name)) {
      throw new BadRequestError(
        `unknown query parameter "${truncate(name)}"; known: r, w, pr, pw, timeout_ms, ttl_s`,
      );
    }
    if (seen.has(name)) throw new BadRequestError(`query parameter "${name}" is given more than once`);
    seen.add(name);
  }
  const r = params.get("r");
  const w = params.get("w");
  const pr = params.get("pr");
  const pw = params.get("pw");
  const timeout = params.get("timeout_ms");
  const ttl = params.get("ttl_s");
  const n = properties.n ?? settings.n;
  const chosen = effectiveOptions(
    {
      ...(r === null ? {} : { r: parseQuorum("r", r, n) }),
      ...(w === null ? {} : { w: parseQuorum("w", w, n) }),
      ...(ttl === null ? {} : { ttlS: parseInteger("ttl_s", ttl, 1, TTL_S_MAX) }),
    },
    properties,
    { n: settings.n, r: settings.r, w: settings.w, siblingsMax: limits.siblingsMax },
  );
  const options = {
    r: chosen.r,
    w: chosen.w,
    pr: pr === null ? 0 : parseStrict("pr", pr, n),
    pw: pw === null ? 0 : parseStrict("pw", pw, n),
    timeoutMs:
      timeout === null
        ? limits.timeoutMsDefault
        : parseInteger("timeout_ms", timeout, 1, limits.timeoutMsMax),
    ...(chosen.ttlS === undefined ? {} : { ttlS: chosen.ttlS }),
  };
  // A strict count above the plain one would be met only by waiting for more acks than asked.
  return { ...options, r: Math.max(options.r, options.pr), w: Math.max(options.w, options.pw) };
}

/** `pr`/`pw`: 0..N home replicas (0, the default, means sloppy), or one / quorum / all. */
function parseStrict(name: string, text: string, n: number): number {
  if (text === "0") return 0;
  return parseQuorum(name, text, n);
}

export function parseQuorum(name: string, text: string, n: number): number {
  if (text === "one") return 1;
  if (text === "quorum") return Math.floor(n / 2) + 1;
  if (text === "all") return n;
  return parseInteger(name, text, 1, n);
}

export function parseInteger(name: string, text: string, min: number, max: number): number {
  const value = /^[0-9]{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range =
      name === "timeout_ms" || name === "ttl_s"
        ? `${min}..${max}`
        : `${min}..${max} (N=${max}), one, quorum or all`;
    throw new BadRequestError(`${name} must be an integer in ${range}, got "${truncate(text)}"`);
  }
  return value;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
