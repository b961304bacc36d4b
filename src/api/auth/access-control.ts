import { TLSSocket } from "node:tls";
import { AuthRateLimitedError, ForbiddenError, NotReadyError, UnauthenticatedError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { NodeMetrics } from "../../metrics/node-metrics.js";
import type { ApiRequest } from "../api-request.js";
import { FailureLimiter, type FailureLimiterOptions } from "./failure-limiter.js";
import { type Access, type Principal, roleAllows, type TokenDirectory } from "./interface.js";
import { isReadMethod, requiredAccess } from "./policy.js";
import { tokenMatches, tokenName } from "./tokens.js";

export interface AccessControlOptions {
  /** `required`: every request but a public one authenticates; `none`: nobody is asked. */
  auth: "none" | "required";
  metricsPublic: boolean;
  failures: FailureLimiterOptions;
}

export interface AccessControlDeps {
  /** SHA-256 of the --admin-token-file token; undefined without one. */
  adminTokenHash: Buffer | undefined;
  /** The cluster's tokens, once the node serves (undefined while it starts). */
  tokens: () => TokenDirectory | undefined;
  nowMs: () => number;
  logger: Logger;
  metrics: NodeMetrics;
}

/** What a request was let through as. */
export interface Admission {
  access: Access;
  /** Undefined for a public request, or any request with --auth none. */
  principal: Principal | undefined;
}

/** Longest Authorization header looked at; a token is about 110 characters. */
const AUTHORIZATION_CHARS_MAX = 1024;

/**
 * Decides, before a handler runs, whether a request may: the cross-origin check (always, so no web
 * page can make a node leave), then with --auth required the credentials (a bearer token or a
 * client certificate), the source's failure budget and the route's role. Every refusal is a typed
 * error the server maps to 401/403/429, logged and counted.
 */
export class AccessControl {
  private readonly limiter: FailureLimiter;

  constructor(
    private readonly options: AccessControlOptions,
    private readonly deps: AccessControlDeps,
  ) {
    this.limiter = new FailureLimiter(options.failures);
  }

  get required(): boolean {
    return this.options.auth === "required";
  }

  /** Throws UnauthenticatedError, ForbiddenError or AuthRateLimitedError; returns who may go on. */
  admit(req: ApiRequest, route: string | undefined, method: string): Admission {
    const access = route === undefined ? "read" : requiredAccess(route, method, this.options);
    if (!isReadMethod(method)) this.checkSameOrigin(req, method);
    if (!this.required || access === "public" || isDashboardFile(req, route, method)) {
      return { access, principal: undefined };
    }
    const principal = this.authenticate(req);
    if (!roleAllows(principal.role, access)) {
      this.deps.metrics.authFailures.inc({ reason: "forbidden" });
      this.deps.logger.warn(
        { principal: principal.name, role: principal.role, needed: access, method, url: req.url },
        "request forbidden for its role",
      );
      throw new ForbiddenError(`${principal.name} has role ${principal.role}; this request needs ${access}`);
    }
    return { access, principal };
  }

  /**
   * A browser sends Origin with every cross-origin write; a page elsewhere must not reach a
   * state-changing endpoint through an operator's browser (a bare POST needs no preflight).
   */
  private checkSameOrigin(req: ApiRequest, method: string): void {
    const origin = req.headers.origin;
    const fetchSite = req.headers["sec-fetch-site"];
    let cross = fetchSite === "cross-site" || fetchSite === "same-site";
    if (!cross && origin !== undefined) {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      cross = host === undefined || host !== req.headers.host;
    }
    if (!cross) return;
    this.deps.metrics.authFailures.inc({ reason: "cross_origin" });
    this.deps.logger.warn({ origin, fetchSite, method, url: req.url }, "cross-origin request refused");
    throw new ForbiddenError(`cross-origin ${method} refused (Origin ${origin ?? fetchSite ?? "unknown"})`);
  }

  private authenticate(req: ApiRequest): Principal {
    const source = req.socket.remoteAddress ?? "unknown";
    const nowMs = this.deps.nowMs();
    const blockedS = this.limiter.blockedForS(source, nowMs);
    if (blockedS > 0) {
      this.deps.metrics.authFailures.inc({ reason: "rate_limited" });
      throw new AuthRateLimitedError(blockedS);
    }
    const header = req.headers.authorization;
    const certified = certificateName(req);
    if (header === undefined && certified !== undefined) {
      const token = this.deps.tokens()?.find(certified);
      if (token !== undefined) return { name: token.name, role: token.role, via: "certificate" };
    }
    const found = header === undefined ? undefined : this.fromBearer(header);
    if (found !== undefined) return found;
    const failures = this.limiter.failed(source, nowMs);
    this.deps.metrics.authFailures.inc({ reason: "unauthenticated" });
    // The first failures of a window and the one that blocks the source are worth a line each;
    // a source hammering the port is not worth one per request.
    if (failures <= 3 || failures === this.options.failures.failuresPerSourceMax) {
      this.deps.logger.warn(
        {
          source,
          url: req.url,
          failures,
          blocked: failures >= this.options.failures.failuresPerSourceMax,
          reason: header === undefined ? "no credentials" : "unknown token",
        },
        "authentication failed",
      );
    }
    throw new UnauthenticatedError(
      header === undefined
        ? "this node requires authentication: send Authorization: Bearer <token>"
        : "unknown or revoked token",
    );
  }

  private fromBearer(header: string): Principal | undefined {
    if (header.length > AUTHORIZATION_CHARS_MAX) return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = match?.[1];
    if (token === undefined) return undefined;
    const admin = this.deps.adminTokenHash;
    if (admin !== undefined && tokenMatches(token, admin)) {
      return { name: "admin-token", role: "admin", via: "admin-token-file" };
    }
    const name = tokenName(token);
    if (name === undefined) return undefined;
    const tokens = this.deps.tokens();
    if (tokens === undefined)
      throw new NotReadyError("the node is still starting; only the admin token works yet");
    const stored = tokens.find(name);
    if (stored === undefined || !tokenMatches(token, Buffer.from(stored.hash, "hex"))) return undefined;
    return { name: stored.name, role: stored.role, via: "token" };
  }
}

/** What a browser loads as a page or one of its files (never what a script fetches). */
const BROWSER_LOADS = new Set(["document", "script", "style", "image"]);

/**
 * The dashboard's own files hold code and no data, and a browser cannot attach a bearer token to
 * a page load: it gets them without one and the page then asks for a token, which it sends with
 * every data request (/cluster/overview needs read). Anything else asking for /ui (curl, a
 * script) is treated like any other read route.
 */
function isDashboardFile(req: ApiRequest, route: string | undefined, method: string): boolean {
  if (route !== "ui" || method !== "GET") return false;
  const dest = req.headers["sec-fetch-dest"];
  return typeof dest === "string" && BROWSER_LOADS.has(dest);
}

/** The CN of a client certificate the --http-tls-ca verified, or undefined. */
function certificateName(req: ApiRequest): string | undefined {
  const socket = req.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const subject = socket.getPeerCertificate().subject as Record<string, string | string[]> | undefined;
  const cn = subject?.CN;
  return typeof cn === "string" && cn !== "" ? cn : undefined;
}
