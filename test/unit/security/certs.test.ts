import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCli } from "../../support/node-process.js";

describe("ringkv certs", () => {
  const dir = mkdtempSync(join(tmpdir(), "ringkv-certs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("makes a CA and node certificates with CN = id, the SANs asked for, signed by the CA, keys 0600", () => {
    const made = runCli([
      "certs",
      "--dir",
      dir,
      "--nodes",
      "n1,n2",
      "--clients",
      "app1",
      "--hosts",
      "db.example,10.0.0.7",
    ]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /created CA/);
    const ca = new X509Certificate(readFileSync(join(dir, "ca.pem")));
    assert.ok(ca.ca);
    for (const id of ["n1", "n2"]) {
      const cert = new X509Certificate(readFileSync(join(dir, `${id}.pem`)));
      assert.equal(cert.subject, `CN=${id}`);
      assert.ok(cert.verify(ca.publicKey), `${id} is signed by the CA`);
      assert.ok(cert.checkIssued(ca));
      assert.match(cert.subjectAltName ?? "", /DNS:db\.example/);
      assert.match(cert.subjectAltName ?? "", /IP Address:10\.0\.0\.7/);
      assert.match(cert.subjectAltName ?? "", new RegExp(`DNS:${id}`));
      assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(join(dir, `${id}-key.pem`)))));
      assert.equal(statSync(join(dir, `${id}-key.pem`)).mode & 0o777, 0o600);
    }
    assert.equal(statSync(join(dir, "ca-key.pem")).mode & 0o777, 0o600);
    const client = new X509Certificate(readFileSync(join(dir, "app1.pem")));
    assert.equal(client.subject, "CN=app1");
    assert.ok(client.verify(ca.publicKey));
  });

  it("reuses the CA for nodes added later and keeps existing certificates unless --force", () => {
    const caBefore = readFileSync(join(dir, "ca.pem"), "utf8");
    const n1Before = readFileSync(join(dir, "n1.pem"), "utf8");
    const again = runCli(["certs", "--dir", dir, "--nodes", "n1,n3"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /reused CA/);
    assert.match(again.stdout, /kept .*n1\.pem/);
    assert.equal(readFileSync(join(dir, "ca.pem"), "utf8"), caBefore);
    assert.equal(readFileSync(join(dir, "n1.pem"), "utf8"), n1Before);
    const ca = new X509Certificate(caBefore);
    assert.ok(new X509Certificate(readFileSync(join(dir, "n3.pem"))).verify(ca.publicKey));
    const forced = runCli(["certs", "--dir", dir, "--nodes", "n1", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(readFileSync(join(dir, "n1.pem"), "utf8"), n1Before);
    assert.equal(readFileSync(join(dir, "ca.pem"), "utf8"), caBefore, "never the CA");
  });

  it("refuses bad input with one line", () => {
    for (const args of [
      ["--nodes", "bad/id"],
      ["--nodes", "n1", "--days", "0"],
      ["--nodes", "n1", "--hosts", "bad host"],
      [],
    ]) {
      const result = runCli(["certs", "--dir", dir, ...args]);
      assert.notEqual(result.code, 0, args.join(" "));
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
  });
});
