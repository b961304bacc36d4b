import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "../errors.js";

/** A certificate, its key and the CAs to check the other side against, as PEM bytes. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Undefined where no certificate is asked of the other side (HTTPS without client certificates). */
  ca: Buffer | undefined;
}

export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string | undefined;
}

/** TLS 1.2 is the oldest version either port speaks (the contract's floor). */
export const TLS_VERSION_MIN = "TLSv1.2";

/** The Subject CN of a certificate's `subject` text ("CN=n1\nO=x"), or undefined. */
export function subjectCn(subject: string): string | undefined {
  for (const line of subject.split("\n")) {
    if (line.startsWith("CN=")) return line.slice(3);
  }
  return undefined;
}

/**
 * Reads and checks TLS files, so a node with a certificate that cannot work refuses to start with
 * the reason instead of failing every handshake later: each file must parse, the key must belong
 * to the certificate, the certificate must be valid now and (for the inter-node port) its CN must
 * be `expectedCn`. `flag` names the option in errors ("--peer-tls", "--http-tls").
 */
export function loadTlsMaterial(
  files: TlsFiles,
  flag: string,
  nowMs: number,
  expectedCn: string | undefined,
): TlsMaterial {
  const cert = readPem(files.cert, `${flag}-cert`);
  const key = readPem(files.key, `${flag}-key`);
  const ca = files.ca === undefined ? undefined : readPem(files.ca, `${flag}-ca`);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (error) {
    throw new ConfigError(`${flag}-cert ${files.cert} is not a PEM certificate (${reasonOf(error)})`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new ConfigError(`${flag}-key ${files.key} is not a PEM private key (${reasonOf(error)})`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new ConfigError(`${flag}-key ${files.key} is not the key of the certificate ${files.cert}`);
  }
  const validFrom = Date.parse(x509.validFrom);
  const validTo = Date.parse(x509.validTo);
  if (nowMs < validFrom || nowMs > validTo) {
    throw new ConfigError(
      `${flag}-cert ${files.cert} is not valid now (valid from ${x509.validFrom} to ${x509.validTo})`,
    );
  }
  if (expectedCn !== undefined) {
    const cn = subjectCn(x509.subject);
    if (cn !== expectedCn) {
      throw new ConfigError(
        `${flag}-cert ${files.cert} is for CN=${cn ?? "(none)"}, but this node's --id is ${expectedCn}: a node's certificate CN must be its id`,
      );
    }
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch (error) {
      throw new ConfigError(`${flag}-ca ${files.ca} is not a PEM certificate (${reasonOf(error)})`);
    }
  }
  return { cert, key, ca };
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : reasonOf(error);
    throw new ConfigError(`--${flag.replace(/^--/, "")} ${path} cannot be read (${code})`);
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
