import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Certificates for tests, made with the `openssl` command line (P-256 keys, valid for a day), the
 * way an operator's own PKI would make them: nothing here is ringkv code, so the tests show that
 * any CA works as long as a node's CN is its id.
 */

function openssl(args: string[], cwd: string): void {
  const result = spawnSync("openssl", args, { cwd, encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0)
    throw new Error(`openssl ${args.join(" ")} exited with ${result.status}: ${result.stderr}`);
}

const KEY_ARGS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** A self-signed CA in `dir`: `<name>.pem` and `<name>-key.pem`. */
export function makeCa(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  openssl(
    ["req", "-x509", ...KEY_ARGS, "-keyout", key, "-out", cert, "-days", "1", "-subj", `/CN=${name}`],
    dir,
  );
  return { cert, key };
}

/**
 * A certificate for Subject CN `cn` signed by `ca`, with DNS names `dnsNames` as SANs, written to
 * `certFile` and `keyFile`.
 */
export function issueCert(
  dir: string,
  ca: { cert: string; key: string },
  cn: string,
  dnsNames: readonly string[],
  certFile: string,
  keyFile: string,
): void {
  const csr = join(dir, `${cn}.csr`);
  openssl(["req", ...KEY_ARGS, "-keyout", keyFile, "-out", csr, "-subj", `/CN=${cn}`], dir);
  const extFile = join(dir, `${cn}.ext`);
  writeFileSync(
    extFile,
    dnsNames.length === 0
      ? "basicConstraints=CA:FALSE\n"
      : `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(",")}\n`,
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      extFile,
      "-out",
      certFile,
    ],
    dir,
  );
}
