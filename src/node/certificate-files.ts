import type { NodeOptions } from "../config/node-options.js";
import { loadTlsMaterial, type TlsMaterial } from "../net/tls-material.js";

/** The node's certificates, read from its --peer-tls-* and --http-tls-* files. */
export interface CertificateSource {
  /** The inter-node port's mutual-TLS material; undefined: plaintext. */
  peer(): TlsMaterial | undefined;
  /** The client port's; undefined: plain HTTP. */
  http(): TlsMaterial | undefined;
  /**
   * Reads every file again (SIGHUP) and keeps the result only when all of it is good; a bad file
   * throws a ConfigError and the node goes on with the certificates it had.
   */
  reload(): void;
}

/** Reads the files at once, so a node with an unusable certificate refuses to start. */
export function certificateFiles(options: NodeOptions, nowMs: () => number): CertificateSource {
  const s = options.security;
  const read = (): { peer: TlsMaterial | undefined; http: TlsMaterial | undefined } => ({
    peer:
      s.peerTlsCert !== undefined && s.peerTlsKey !== undefined && s.peerTlsCa !== undefined
        ? loadTlsMaterial(
            { cert: s.peerTlsCert, key: s.peerTlsKey, ca: s.peerTlsCa },
            "--peer-tls",
            nowMs(),
            options.id,
          )
        : undefined,
    http:
      s.httpTlsCert !== undefined && s.httpTlsKey !== undefined
        ? loadTlsMaterial(
            { cert: s.httpTlsCert, key: s.httpTlsKey, ca: s.httpTlsCa },
            "--http-tls",
            nowMs(),
            undefined,
          )
        : undefined,
  });
  let current = read();
  return {
    peer: () => current.peer,
    http: () => current.http,
    reload: () => {
      current = read();
    },
  };
}
