/** Roles, each allowing everything the one before it does (the contract's "Authentication and roles"). */
export const ROLES = ["read", "readwrite", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** What a request needs: no credentials at all (`public`), or at least a role. */
export type Access = Role | "public";

/** Token names, also the CN a client certificate acts as: 1-64 of A-Za-z0-9._- */
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Who a request authenticated as. */
export interface Principal {
  /** The token's name, the certificate's CN, or "admin-token" for --admin-token-file. */
  name: string;
  role: Role;
  via: "token" | "certificate" | "admin-token-file";
}

/** A token as every node stores it: the secret only as its SHA-256, never in plaintext. */
export interface StoredToken {
  name: string;
  role: Role;
  /** SHA-256 of the whole token text, hex. */
  hash: string;
  createdAtMs: number;
}

/**
 * The cluster's tokens. One implementation keeps them in the cluster metadata (every node, durable,
 * spread within seconds); tests use a map.
 */
export interface TokenDirectory {
  find(name: string): StoredToken | undefined;
  /** Every live token, by name. */
  list(): StoredToken[];
  /** Resolves once durable on this node; a ConflictError when the name is taken. */
  create(token: StoredToken): Promise<void>;
  /** False when there was no such token. */
  revoke(name: string): Promise<boolean>;
}

export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
