import type { Access } from "./interface.js";

/** Methods that never change anything; every other one is state-changing. */
const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isReadMethod(method: string): boolean {
  return READ_METHODS.has(method);
}

/**
 * What a request to a route needs, by the route's name (src/api/*-routes.ts) and method: the
 * contract's role table in one place. A route not named here is admin-only, so a new endpoint is
 * closed until someone decides otherwise.
 */
export function requiredAccess(route: string, method: string, options: { metricsPublic: boolean }): Access {
  switch (route) {
    case "health":
      return "public";
    case "metrics":
      return options.metricsPublic ? "public" : "admin";
    // `/kv/{key}` and `/kv/{ns}/{key}` are both the route "kv": one rule for every namespace.
    case "kv":
    case "keys":
      return isReadMethod(method) ? "read" : "readwrite";
    case "cluster_members":
    case "cluster_ring":
    case "stats":
    case "cluster_overview":
    case "ui":
      return isReadMethod(method) ? "read" : "admin";
    // Namespace properties (reading them included) are admin's, as the contract lists them.
    case "namespaces":
      return "admin";
    default:
      return "admin";
  }
}
