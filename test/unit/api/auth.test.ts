import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ApiRequest } from "../../../src/api/api-request.js";
import { AccessControl } from "../../../src/api/auth/access-control.js";
import { FailureLimiter } from "../../../src/api/auth/failure-limiter.js";
import { ROLES, roleAllows, type StoredToken, type TokenDirectory } from "../../../src/api/auth/interface.js";
import { requiredAccess } from "../../../src/api/auth/policy.js";
import { hashToken, newToken, tokenMatches, tokenName } from "../../../src/api/auth/tokens.js";
import { errorReply } from "../../../src/api/error-response.js";
import {
  AuthRateLimitedError,
  ForbiddenError,
  RingkvError,
  UnauthenticatedError,
} from "../../../src/errors.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";

class MapTokens implements TokenDirectory {
  readonly tokens = new Map<string, StoredToken>();
  find(name: string): StoredToken | undefined {
    return this.tokens.get(name);
  }
  list(): StoredToken[] {
    return [...this.tokens.values()];
  }
  async create(token: StoredToken): Promise<void> {
    this.tokens.set(token.name, token);
  }
  async revoke(name: string): Promise<boolean> {
    return this.tokens.delete(name);
  }
}

function metrics(): NodeMetrics {
  return new NodeMetrics(
    "n1",
    () => ({
      stores: { objects: { entries: 0 }, hints: { entries: 0 }, meta: { entries: 0 } },
      diskBytes: 0,
    }),
    { processMetrics: false },
  );
}

function request(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  remoteAddress = "10.0.0.1",
): ApiRequest {
  return {
    method,
    url,
    headers: { host: "127.0.0.1:8001", ...headers },
    socket: { remoteAddress },
    readBody: () => Promise.resolve(Buffer.alloc(0)),
  } as unknown as ApiRequest;
}

const ADMIN_TOKEN = "a".repeat(40);

function access(auth: "none" | "required", tokens = new MapTokens(), nowMs = () => 0) {
  const m = metrics();
  return {
    metrics: m,
    tokens,
    control: new AccessControl(
      { auth, metricsPublic: false, failures: { failuresPerSourceMax: 3, windowMs: 60_000, sourcesMax: 2 } },
      {
        adminTokenHash: hashToken(ADMIN_TOKEN),
        tokens: () => tokens,
        nowMs,
        logger: silentLogger(),
        metrics: m,
      },
    ),
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof RingkvError, String(error));
    return error.code;
  }
}

describe("roles and the route table", () => {
  it("each role includes the one before it", () => {
    assert.deepEqual(ROLES, ["read", "readwrite", "admin"]);
    assert.ok(roleAllows("admin", "read") && roleAllows("readwrite", "read") && roleAllows("read", "read"));
    assert.ok(!roleAllows("read", "readwrite") && !roleAllows("readwrite", "admin"));
  });

  it("maps every route of the contract to its role", () => {
    const o = { metricsPublic: false };
    assert.equal(requiredAccess("health", "GET", o), "public");
    assert.equal(requiredAccess("kv", "GET", o), "read");
    assert.equal(requiredAccess("kv", "PUT", o), "readwrite");
    assert.equal(requiredAccess("kv", "DELETE", o), "readwrite");
    assert.equal(requiredAccess("keys", "GET", o), "read");
    for (const r of ["cluster_members", "cluster_ring", "stats", "cluster_overview", "ui"]) {
      assert.equal(requiredAccess(r, "GET", o), "read", r);
    }
    for (const r of [
      "cluster_leave",
      "cluster_remove",
      "debug_replicas",
      "admin_faults",
      "admin_tokens",
      "namespaces",
      "metrics",
    ]) {
      assert.equal(requiredAccess(r, "GET", o), "admin", r);
      assert.equal(requiredAccess(r, "POST", o), "admin", r);
    }
    assert.equal(requiredAccess("namespaces", "PUT", o), "admin");
    assert.equal(requiredAccess("metrics", "GET", { metricsPublic: true }), "public");
    assert.equal(requiredAccess("a_route_nobody_classified", "GET", o), "admin");
  });
});

describe("tokens", () => {
  it("carry their name, 256 random bits, and match only their own hash", () => {
    const a = newToken("app.1");
    const b = newToken("app.1");
    assert.notEqual(a, b);
    assert.equal(tokenName(a), "app.1");
    assert.match(a, /^app\.1\.[A-Za-z0-9_-]{43}$/);
    assert.ok(tokenMatches(a, hashToken(a)));
    assert.ok(!tokenMatches(b, hashToken(a)));
    assert.ok(!tokenMatches(a, Buffer.alloc(3)));
    assert.equal(tokenName("nodot"), undefined);
  });
});

describe("FailureLimiter", () => {
  it("blocks a source after its failures until the window ends, and bounds the sources it tracks", () => {
    const l = new FailureLimiter({ failuresPerSourceMax: 2, windowMs: 10_000, sourcesMax: 2 });
    assert.equal(l.blockedForS("a", 0), 0);
    l.failed("a", 0);
    assert.equal(l.blockedForS("a", 1), 0);
    l.failed("a", 1000);
    assert.equal(l.blockedForS("a", 2000), 8);
    assert.equal(l.blockedForS("b", 2000), 0, "another source is not blocked");
    assert.equal(l.blockedForS("a", 10_000), 0, "a new window");
    l.failed("b", 0);
    l.failed("c", 0);
    l.failed("d", 0);
    assert.ok(l.trackedSources <= 2);
  });
});

describe("AccessControl", () => {
  it("with --auth none lets everything through, but still refuses cross-origin writes", async () => {
    const { control, metrics: m } = access("none");
    assert.equal(
      control.admit(request("POST", "/cluster/leave"), "cluster_leave", "POST").principal,
      undefined,
    );
    assert.equal(
      codeOf(() =>
        control.admit(
          request("POST", "/cluster/leave", { origin: "http://evil.example" }),
          "cluster_leave",
          "POST",
        ),
      ),
      "forbidden",
    );
    assert.equal(
      codeOf(() => control.admit(request("PUT", "/kv/a", { "sec-fetch-site": "cross-site" }), "kv", "PUT")),
      "forbidden",
    );
    assert.equal(
      codeOf(() => control.admit(request("PUT", "/kv/a", { origin: "http://127.0.0.1:8001" }), "kv", "PUT")),
      undefined,
      "same origin is fine",
    );
    assert.equal(
      codeOf(() => control.admit(request("GET", "/kv/a", { origin: "http://x" }), "kv", "GET")),
      undefined,
    );
    assert.match(await m.registry.metrics(), /ringkv_auth_failures_total{reason="cross_origin",node="n1"} 2/);
  });

  it("with --auth required: 401 without or with bad credentials, 403 for a role too small, through for enough", async () => {
    const { control, tokens } = access("required");
    const rw = newToken("app1");
    await tokens.create({
      name: "app1",
      role: "readwrite",
      hash: hashToken(rw).toString("hex"),
      createdAtMs: 1,
    });
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    assert.equal(control.admit(request("GET", "/health"), "health", "GET").principal, undefined);
    assert.equal(
      codeOf(() => control.admit(request("GET", "/kv/a"), "kv", "GET")),
      "unauthenticated",
    );
    assert.equal(
      codeOf(() => control.admit(request("GET", "/kv/a", bearer(`${rw}x`), "10.0.0.2"), "kv", "GET")),
      "unauthenticated",
    );
    assert.equal(
      codeOf(() => control.admit(request("GET", "/kv/a", bearer(newToken("app1")), "10.0.0.3"), "kv", "GET")),
      "unauthenticated",
      "a token of the right name with another secret",
    );
    const ok = control.admit(request("PUT", "/kv/a", bearer(rw), "10.0.0.4"), "kv", "PUT");
    assert.deepEqual(ok.principal, { name: "app1", role: "readwrite", via: "token" });
    assert.equal(
      codeOf(() =>
        control.admit(request("POST", "/cluster/leave", bearer(rw), "10.0.0.4"), "cluster_leave", "POST"),
      ),
      "forbidden",
    );
    const admin = control.admit(
      request("POST", "/cluster/leave", bearer(ADMIN_TOKEN), "10.0.0.4"),
      "cluster_leave",
      "POST",
    );
    assert.equal(admin.principal?.role, "admin");
    await tokens.revoke("app1");
    assert.equal(
      codeOf(() => control.admit(request("GET", "/kv/a", bearer(rw), "10.0.0.5"), "kv", "GET")),
      "unauthenticated",
      "a revoked token",
    );
  });

  it("rate-limits failures per source with 429 and a Retry-After, even for a then-correct token", () => {
    let now = 0;
    const { control } = access("required", new MapTokens(), () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(
        codeOf(() => control.admit(request("GET", "/kv/a", {}, "10.9.9.9"), "kv", "GET")),
        "unauthenticated",
      );
    }
    let refusal: unknown;
    try {
      control.admit(
        request("GET", "/kv/a", { authorization: `Bearer ${ADMIN_TOKEN}` }, "10.9.9.9"),
        "kv",
        "GET",
      );
    } catch (error) {
      refusal = error;
    }
    assert.ok(refusal instanceof AuthRateLimitedError);
    const reply = errorReply(refusal);
    assert.equal(reply?.status, 429);
    assert.equal(reply?.headers?.["retry-after"], "60");
    assert.equal(
      control.admit(
        request("GET", "/kv/a", { authorization: `Bearer ${ADMIN_TOKEN}` }, "10.1.1.1"),
        "kv",
        "GET",
      ).principal?.role,
      "admin",
      "another source is not limited",
    );
    now = 60_000;
    assert.equal(
      control.admit(
        request("GET", "/kv/a", { authorization: `Bearer ${ADMIN_TOKEN}` }, "10.9.9.9"),
        "kv",
        "GET",
      ).principal?.role,
      "admin",
      "the window ended",
    );
  });

  it("maps its errors to 401 with WWW-Authenticate and 403", () => {
    const r401 = errorReply(new UnauthenticatedError("x"));
    assert.equal(r401?.status, 401);
    assert.match(String(r401?.headers?.["www-authenticate"]), /^Bearer/);
    assert.equal(errorReply(new ForbiddenError("x"))?.status, 403);
    assert.equal(JSON.parse(String(r401?.body)).error, "unauthenticated");
  });
});
