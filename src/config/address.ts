import { isIP } from "node:net";
import { ConfigError } from "../errors.js";

export interface Address {
  host: string;
  port: number;
}

/** Parses `host:port` or `[v6]:port`. Port 0 (pick a free port) is allowed only where `allowPortZero`. */
export function parseAddress(text: string, what: string, allowPortZero = false): Address {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) throw new ConfigError(`${what}: "${text}" is not host:port`);
  const host = match[1] ?? match[2] ?? "";
  const port = Number(match[3]);
  if (match[1] !== undefined && isIP(host) !== 6)
    throw new ConfigError(`${what}: "${host}" is not an IPv6 address`);
  if (port > 65535 || (port === 0 && !allowPortZero)) {
    throw new ConfigError(`${what}: port ${port} is out of range 1..65535`);
  }
  return { host, port };
}

export function formatAddress(address: Address): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** 0.0.0.0 or :: (any spelling): a bind address meaning "every interface", which no peer can dial. */
export function isWildcardHost(host: string): boolean {
  if (isIP(host) === 4) return host === "0.0.0.0";
  return isIP(host) === 6 && /^[0:]+$/.test(host);
}

/**
 * The client API address a node announces to its peers and clients: `--advertise-http` when
 * given; else the bound address; but a wildcard bind (0.0.0.0:8001) cannot be dialled, so it
 * announces its inter-node host (the one peers already reach it on) with the bound port.
 */
export function advertisedHttpAddress(
  bound: Address,
  advertisedListen: Address,
  explicit?: Address,
): Address {
  if (explicit !== undefined) return explicit;
  if (!isWildcardHost(bound.host)) return bound;
  return { host: advertisedListen.host, port: bound.port };
}
