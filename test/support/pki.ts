import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Certificates for tests, made with plain `openssl` commands (not with `ringkv certs`), so the
 * tests show ringkv works with an ordinary PKI. EC P-256 keys: fast to make.
 */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  /** A certificate signed by this CA with Subject CN = `cn`, SANs 127.0.0.1 and localhost. */
  issue(cn: string, options?: { expired?: boolean }): CertFiles;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A new CA in `dir` (created), named `name`. */
export function makePki(dir: string, name = "test-ca"): Pki {
  mkdirSync(dir, { recursive: true });
  const ca = join(dir, "ca.pem");
  const caKey = join(dir, "ca-key.pem");
  openssl(
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"].concat([
      "-keyout",
      caKey,
      "-out",
      ca,
      "-days",
      "30",
      "-subj",
      `/CN=${name}`,
    ]),
    dir,
  );
  let serial = 1;
  return {
    dir,
    ca,
    caKey,
    issue(cn, options = {}) {
      const base = join(dir, `${cn}${options.expired === true ? "-expired" : ""}`);
      const key = `${base}-key.pem`;
      const cert = `${base}.pem`;
      const csr = `${base}.csr`;
      const ext = `${base}.ext`;
      openssl(
        ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key].concat([
          "-out",
          csr,
          "-subj",
          `/CN=${cn}`,
        ]),
        dir,
      );
      writeFileSync(
        ext,
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
      );
      if (options.expired !== true) {
        openssl(
          ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-set_serial", String(serial++)].concat([
            "-out",
            cert,
            "-days",
            "30",
            "-extfile",
            ext,
          ]),
          dir,
        );
      } else {
        // `openssl x509` of OpenSSL 3.0 cannot set a past validity; `openssl ca` can.
        const db = join(dir, `ca-db-${serial}`);
        mkdirSync(db, { recursive: true });
        writeFileSync(join(db, "index.txt"), "");
        writeFileSync(join(db, "serial"), `${String(1000 + serial++).padStart(4, "0")}\n`);
        writeFileSync(
          join(db, "ca.cnf"),
          [
            "[ca]",
            "default_ca = test",
            "[test]",
            `dir = ${db}`,
            `database = ${join(db, "index.txt")}`,
            `serial = ${join(db, "serial")}`,
            `new_certs_dir = ${db}`,
            `certificate = ${ca}`,
            `private_key = ${caKey}`,
            "default_md = sha256",
            "policy = anything",
            "unique_subject = no",
            "[anything]",
            "commonName = supplied",
            "",
          ].join("\n"),
        );
        openssl(
          ["ca", "-batch", "-config", join(db, "ca.cnf"), "-in", csr, "-out", cert, "-notext"]
            .concat(["-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-extfile", ext])
            .concat([]),
          dir,
        );
      }
      return { cert, key };
    },
  };
}
