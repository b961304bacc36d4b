import { BadRequestError, ConflictError, NotFoundError } from "../errors.js";
import { isRole, ROLES, TOKEN_NAME_PATTERN, type TokenDirectory } from "./auth/interface.js";
import { hashToken, newToken } from "./auth/tokens.js";
import { readBody } from "./read-body.js";
import { jsonReply } from "./reply.js";
import type { Route } from "./router.js";

/** `{"name": ..., "role": ...}` is a few dozen bytes. */
const TOKEN_BODY_BYTES_MAX = 4096;

export interface TokenRoutesDeps {
  /** The cluster's tokens, once the node serves. */
  tokens(): TokenDirectory;
  nowMs(): number;
}

/**
 * `/admin/tokens`: create (the secret is in this answer only), list (no secrets), revoke. Admin
 * only (src/api/auth/policy.ts). A change reaches every node through the cluster metadata.
 */
export function tokenRoutes(deps: TokenRoutesDeps): Route[] {
  return [
    {
      name: "admin_tokens",
      pattern: ["admin", "tokens"],
      methods: {
        GET: () => {
          const tokens = deps
            .tokens()
            .list()
            .map((t) => ({ name: t.name, role: t.role, createdAtMs: t.createdAtMs }));
          return jsonReply(200, { tokens });
        },
        POST: async (ctx) => {
          const { name, role } = parseTokenRequest(await readBody(ctx.req, TOKEN_BODY_BYTES_MAX));
          const directory = deps.tokens();
          if (directory.find(name) !== undefined) {
            throw new ConflictError(`a token named ${name} exists; revoke it first to issue a new one`);
          }
          const token = newToken(name);
          await directory.create({
            name,
            role,
            hash: hashToken(token).toString("hex"),
            createdAtMs: deps.nowMs(),
          });
          return jsonReply(201, { name, role, token });
        },
      },
    },
    {
      name: "admin_tokens",
      pattern: ["admin", "tokens", ":name"],
      methods: {
        DELETE: async (ctx) => {
          const name = decodeName(ctx.params[0] ?? "");
          if (!(await deps.tokens().revoke(name))) throw new NotFoundError(`no token named ${name}`);
          return { status: 204, headers: {} };
        },
      },
    },
  ];
}

function decodeName(segment: string): string {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw new BadRequestError("the token name is not valid percent-encoding");
  }
  if (!TOKEN_NAME_PATTERN.test(name)) throw new BadRequestError("a token name is 1-64 of A-Za-z0-9._-");
  return name;
}

function parseTokenRequest(body: Uint8Array): { name: string; role: (typeof ROLES)[number] } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new BadRequestError('the body must be JSON: {"name": "app1", "role": "readwrite"}');
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError('the body must be a JSON object: {"name": "app1", "role": "readwrite"}');
  }
  const { name, role, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new BadRequestError(`unknown field ${extra[0]}; a token has name and role`);
  if (typeof name !== "string" || !TOKEN_NAME_PATTERN.test(name)) {
    throw new BadRequestError("name must be 1-64 of A-Za-z0-9._-");
  }
  if (!isRole(role)) throw new BadRequestError(`role must be one of ${ROLES.join(", ")}`);
  return { name, role };
}
