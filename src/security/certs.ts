import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { NODE_ID_PATTERN } from "../config/node-options.js";
import { ConfigError } from "../errors.js";

export interface CertsRequest {
  dir: string;
  /** Node ids: each gets `<id>.pem` and `<id>-key.pem` with Subject CN = id. */
  nodes: readonly string[];
  /** Client certificate names (CN = a token name), clientAuth only. */
  clients: readonly string[];
  /** Host names and addresses put in every node certificate's SANs (for HTTPS clients). */
  hosts: readonly string[];
  days: number;
  /** Replace existing node and client certificates (the CA is never replaced). */
  force: boolean;
}

export interface CertsResult {
  ca: string;
  caCreated: boolean;
  written: string[];
  kept: string[];
}

const HOST_PATTERN = /^[A-Za-z0-9*]([A-Za-z0-9.*-]{0,252})$/;

/**
 * Makes a cluster's certificates with the `openssl` command line (no ASN.1 written here): a CA
 * (reused when the directory has one, so nodes can be added later), then a certificate per node
 * (CN = node id, SANs = the hosts and the id, server and client use: one certificate serves both
 * directions of mutual TLS and the HTTPS port) and per client. EC P-256 keys: small, fast, and
 * accepted by every TLS 1.2+ stack. Keys are written mode 0600.
 */
export function makeClusterCerts(request: CertsRequest): CertsResult {
  for (const id of [...request.nodes, ...request.clients]) {
    if (!NODE_ID_PATTERN.test(id))
      throw new ConfigError(`"${id}" is not a node id or token name (1-64 of A-Za-z0-9._-)`);
  }
  for (const host of request.hosts) {
    if (isIP(host) === 0 && !HOST_PATTERN.test(host))
      throw new ConfigError(`--hosts: "${host}" is not a host name or address`);
  }
  if (!Number.isSafeInteger(request.days) || request.days < 1 || request.days > 36_500)
    throw new ConfigError(`--days must be in 1..36500, got ${request.days}`);
  if (request.nodes.length + request.clients.length === 0)
    throw new ConfigError("give --nodes (and/or --clients)");
  mkdirSync(request.dir, { recursive: true });
  const ca = join(request.dir, "ca.pem");
  const caKey = join(request.dir, "ca-key.pem");
  const result: CertsResult = { ca, caCreated: false, written: [], kept: [] };
  if (!existsSync(ca) || !existsSync(caKey)) {
    if (existsSync(ca) !== existsSync(caKey))
      throw new ConfigError(
        `${request.dir} holds only one of ca.pem and ca-key.pem; refusing to replace a CA`,
      );
    openssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      caKey,
      "-out",
      ca,
      "-days",
      String(request.days),
      "-subj",
      "/CN=ringkv cluster CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    chmodSync(caKey, 0o600);
    result.caCreated = true;
    result.written.push(ca, caKey);
  }
  const work = mkdtempSync(join(request.dir, ".certs-"));
  try {
    const issue = (name: string, usage: string, sans: string[]): void => {
      const cert = join(request.dir, `${name}.pem`);
      const key = join(request.dir, `${name}-key.pem`);
      if (!request.force && (existsSync(cert) || existsSync(key))) {
        result.kept.push(cert);
        return;
      }
      const csr = join(work, `${name}.csr`);
      const ext = join(work, `${name}.ext`);
      openssl([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        csr,
        "-subj",
        `/CN=${name}`,
      ]);
      chmodSync(key, 0o600);
      const lines = [
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        `extendedKeyUsage=${usage}`,
      ];
      if (sans.length > 0) lines.push(`subjectAltName=${sans.join(",")}`);
      writeFileSync(ext, `${lines.join("\n")}\n`);
      openssl([
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        ca,
        "-CAkey",
        caKey,
        "-CAcreateserial",
        "-CAserial",
        join(work, "ca.srl"),
        "-out",
        cert,
        "-days",
        String(request.days),
        "-sha256",
        "-extfile",
        ext,
      ]);
      result.written.push(cert, key);
    };
    const hostSans = request.hosts.map((h) => (isIP(h) === 0 ? `DNS:${h}` : `IP:${h}`));
    for (const id of request.nodes)
      issue(id, "serverAuth,clientAuth", [...new Set([...hostSans, `DNS:${id}`])]);
    for (const name of request.clients) issue(name, "clientAuth", []);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return result;
}

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === "ENOENT")
      throw new ConfigError("ringkv certs needs the openssl command (apt-get install openssl)");
    const detail = e.stderr?.toString().trim().split("\n").pop() ?? e.message;
    throw new ConfigError(`openssl ${args[0]} failed: ${detail}`);
  }
}
