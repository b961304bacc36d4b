import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import type { TLSSocket } from "node:tls";
import { parse } from "yaml";
import { CA_FLAG, NODE_FLAG, TOKEN_FLAG } from "../../src/cli/client-flags.js";
import { envName } from "../../src/cli/flags.js";
import { RINGKV_BIN, runCliAsync } from "../support/node-process.js";
import {
  type Container,
  type K8sObject,
  kustomizeResources,
  podEnv,
  ROOT,
  read,
  readManifests,
  START_ENV,
  type StatefulSetSpec,
  startOptions,
} from "./manifests.js";
import { issueCert, makeCa } from "./test-certs.js";

/**
 * deploy/k8s-secure, the overlay that turns every security feature on, checked without a cluster:
 * the overlay rendered onto deploy/k8s (a strategic merge of the few list kinds it patches), its
 * environment against the real flag parser, every file the node reads against the Secrets it
 * mounts, and the pods' start script run with that environment against real nodes, with
 * certificates made by openssl and laid out as the kubelet would mount the Secrets.
 */

const OVERLAY = "deploy/k8s-secure";

interface Kustomization {
  resources: string[];
  patches?: { path: string; target?: { kind: string; name: string } }[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
  secretGenerator?: { name: string; files: string[] }[];
}
const kustomization = parse(read(join(OVERLAY, "kustomization.yaml"))) as Kustomization;

/** A generated Secret: each key and the file (relative to the repository) it is made from. */
interface GeneratedSecret {
  name: string;
  files: Map<string, string>;
}
const secrets: GeneratedSecret[] = (kustomization.secretGenerator ?? []).map((g) => ({
  name: g.name,
  files: new Map(
    g.files.map((entry) => {
      const eq = entry.indexOf("=");
      const path = eq < 0 ? entry : entry.slice(eq + 1);
      return [eq < 0 ? basename(entry) : entry.slice(0, eq), join(OVERLAY, path)];
    }),
  ),
}));

/** The list fields the overlay patches, with the key kustomize merges their items by. */
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Kustomize's strategic merge for what the overlay uses: maps merge key by key, the lists above
 * merge item by item on their key, anything else is replaced. Items new to a list go before the
 * base's, in the patch's order, as `kubectl kustomize` (v5) puts them; that order matters for env,
 * where the kubelet expands $(VAR) only from variables defined earlier.
 */
function strategicMerge(base: Json | undefined, patch: Json, field = ""): Json {
  if (base === undefined) return patch;
  if (isObject(base) && isObject(patch)) {
    const out: { [key: string]: Json } = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = strategicMerge(base[k], v, k);
    return out;
  }
  const key = MERGE_KEYS[field];
  if (Array.isArray(base) && Array.isArray(patch) && key !== undefined) {
    const merged = [...base];
    const added: Json[] = [];
    for (const item of patch) {
      assert.ok(isObject(item) && typeof item[key] === "string", `${field} items have a ${key}`);
      const at = merged.findIndex((b) => isObject(b) && b[key] === item[key]);
      if (at < 0) added.push(item);
      else merged[at] = strategicMerge(merged[at], item, field);
    }
    return [...added, ...merged];
  }
  assert.ok(!Array.isArray(patch) || !isObject(patch[0]), `${field}: a list of maps the test cannot merge`);
  return patch;
}

/** Every map key anywhere in `v` (patch directives start with `$`, which the merge above lacks). */
function keysOf(v: Json): string[] {
  if (Array.isArray(v)) return v.flatMap(keysOf);
  if (isObject(v)) return Object.entries(v).flatMap(([k, x]) => [k, ...keysOf(x)]);
  return [];
}

interface JsonPatchOp {
  op: string;
  path: string;
  value: Json;
}

/** RFC 6902 `add`, the only operation the overlay uses: `-` appends to a list, an index inserts. */
function jsonPatchAdd(target: Json, op: JsonPatchOp): void {
  assert.equal(op.op, "add", `${op.path}: only add operations`);
  const steps = op.path
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  const last = steps.pop();
  let at: Json | undefined = target;
  for (const step of steps) at = Array.isArray(at) ? at[Number(step)] : isObject(at) ? at[step] : undefined;
  assert.ok(at !== undefined && last !== undefined, `${op.path} exists`);
  if (Array.isArray(at)) {
    assert.ok(last === "-" || /^\d+$/.test(last), `${op.path}: a list index`);
    at.splice(last === "-" ? at.length : Number(last), 0, op.value);
  } else if (isObject(at)) at[last] = op.value;
  else assert.fail(`${op.path}: not in a list or map`);
}

/** A patch of the overlay: the objects it changes (kind and name) and how. */
interface Patch {
  kind: string;
  name: string;
  apply(object: Json): Json;
}
const patches: Patch[] = (kustomization.patches ?? []).flatMap((p): Patch[] => {
  const path = join(OVERLAY, p.path);
  if (p.target !== undefined) {
    const ops = parse(read(path)) as JsonPatchOp[];
    assert.ok(Array.isArray(ops), `${path} is a JSON patch`);
    return [
      {
        kind: p.target.kind,
        name: p.target.name,
        apply: (object) => {
          for (const op of ops) jsonPatchAdd(object, op);
          return object;
        },
      },
    ];
  }
  return readManifests(path).map((doc) => {
    const directives = keysOf(doc as unknown as Json).filter((k) => k.startsWith("$"));
    assert.deepEqual(directives, [], `${path}: no patch directives (the merge here does not model them)`);
    return {
      kind: doc.kind,
      name: doc.metadata.name,
      apply: (object) => strategicMerge(object, doc as unknown as Json),
    };
  });
});

const base = kustomizeResources("deploy/k8s");
const rendered: K8sObject[] = base.map((object) => {
  let out = structuredClone(object) as unknown as Json;
  for (const p of patches) if (p.kind === object.kind && p.name === object.metadata.name) out = p.apply(out);
  return out as unknown as K8sObject;
});

const statefulSet = (objects: K8sObject[]): K8sObject<StatefulSetSpec> => {
  const found = objects.find((o) => o.kind === "StatefulSet");
  assert.ok(found !== undefined, "a StatefulSet");
  return found as K8sObject<StatefulSetSpec>;
};
const baseSts = statefulSet(base);
const sts = statefulSet(rendered);
const pod = sts.spec.template.spec;
const container = pod.containers[0] as Container;
const baseContainer = baseSts.spec.template.spec.containers[0] as Container;
const env = (ordinal: number, namespace = "shop") =>
  podEnv(container.env, { "metadata.name": `ringkv-${ordinal}`, "metadata.namespace": namespace });
const httpPort = container.ports.find((p) => p.name === "http")?.containerPort;

/** The client commands' variables the overlay sets for `kubectl exec ... ringkv`; never the token. */
const CLIENT_ENV = new Set([envName(NODE_FLAG.name), envName(CA_FLAG.name)]);
const startEnv = (e: Record<string, string>) =>
  Object.fromEntries(Object.entries(e).filter(([k]) => k.startsWith("RINGKV_") && !CLIENT_ENV.has(k)));

/** The files a pod's node and CLI read, by the flag that names them. */
function filesRead(e: Record<string, string>): Map<string, string> {
  const s = startOptions(startEnv(e)).security;
  const files = new Map<string, string | undefined>([
    ["--peer-tls-cert", s.peerTlsCert],
    ["--peer-tls-key", s.peerTlsKey],
    ["--peer-tls-ca", s.peerTlsCa],
    ["--http-tls-cert", s.httpTlsCert],
    ["--http-tls-key", s.httpTlsKey],
    ["--http-tls-ca", s.httpTlsCa],
    ["--admin-token-file", s.adminTokenFile],
    ["--ca (CLI)", e[envName(CA_FLAG.name)]],
  ]);
  return new Map([...files].filter((f): f is [string, string] => f[1] !== undefined));
}

/** The Secret key a path in the container is, through the pod's Secret volume mounts. */
function secretKeyAt(path: string): { secret: GeneratedSecret; key: string } | undefined {
  for (const mount of container.volumeMounts) {
    if (!path.startsWith(`${mount.mountPath}/`)) continue;
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    const secret = secrets.find((s) => s.name === volume?.secret?.secretName);
    if (secret === undefined) return undefined;
    return { secret, key: path.slice(mount.mountPath.length + 1) };
  }
  return undefined;
}

describe("deploy/k8s-secure", () => {
  test("an overlay on deploy/k8s: the same objects and start script, settings only added", () => {
    assert.deepEqual(kustomization.resources, ["../k8s"]);
    assert.ok(patches.length > 0);
    for (const p of patches)
      assert.ok(
        base.some((o) => o.kind === p.kind && o.metadata.name === p.name),
        `${p.kind} ${p.name} is in the base`,
      );
    assert.equal(container.name, baseContainer.name, "the JSON patch's containers/0 is ringkv");
    assert.equal(sts.spec.template.spec.containers.length, 1);
    // Stable Secret names: the volumes name them as written, and a rotated Secret keeps its name.
    assert.equal(kustomization.generatorOptions?.disableNameSuffixHash, true);
    assert.equal(rendered.length, base.length);
    assert.deepEqual(container.command, baseContainer.command);
    assert.deepEqual(container.args, baseContainer.args, "the start script of deploy/k8s, tested there");
    assert.deepEqual(container.env.slice(0, baseContainer.env.length), baseContainer.env);
    assert.equal(sts.spec.replicas, baseSts.spec.replicas);
  });

  test("each pod's environment is a valid `ringkv start` with every security feature on", () => {
    for (const ordinal of [0, 1, 4]) {
      const e = env(ordinal);
      for (const name of Object.keys(e).filter((n) => n.startsWith("RINGKV_")))
        assert.ok(START_ENV.has(name) || CLIENT_ENV.has(name), `${name} is a ringkv flag`);
      assert.ok(!(envName(TOKEN_FLAG.name) in e), "no token in the pod's environment");
      const options = startOptions(startEnv(e));
      assert.equal(options.id, `ringkv-${ordinal}`);
      const s = options.security;
      assert.equal(
        s.peerTlsCert,
        `/etc/ringkv/peer/ringkv-${ordinal}.pem`,
        "its own certificate, by pod name",
      );
      assert.equal(s.peerTlsKey, `/etc/ringkv/peer/ringkv-${ordinal}-key.pem`);
      assert.ok(s.peerTlsCa !== undefined && s.httpTlsCert !== undefined && s.httpTlsKey !== undefined);
      assert.equal(s.auth, "required");
      assert.ok(s.adminTokenFile !== undefined);
      assert.equal(s.metricsPublic, true, "Prometheus scrapes without a token (docs/deploy.md)");
      assert.equal(
        e[envName(NODE_FLAG.name)],
        `https://localhost:${httpPort}`,
        "the CLI reaches its own node",
      );
    }
  });

  test("every file a pod reads is a key of a Secret it mounts; each pod up to the replica count has its pair", () => {
    for (let ordinal = 0; ordinal < sts.spec.replicas; ordinal++) {
      for (const [flag, path] of filesRead(env(ordinal))) {
        const found = secretKeyAt(path);
        assert.ok(found !== undefined, `${flag} ${path} is under a Secret volume's mount`);
        assert.ok(
          found.secret.files.has(found.key),
          `${flag}: ${found.secret.name} has the key ${found.key}`,
        );
      }
    }
  });

  test("Secrets are mounted read-only at mode 0400, readable through the pod's fsGroup; the CA key stays out", () => {
    const secretVolumes = (pod.volumes ?? []).filter((v) => v.secret !== undefined);
    assert.equal(secretVolumes.length, secrets.length, "every generated Secret is mounted");
    for (const volume of secretVolumes) {
      assert.equal(volume.secret?.defaultMode, 0o400, `${volume.name}: owner read only`);
      assert.equal(volume.secret?.items, undefined, "no per-item modes");
      const mounts = container.volumeMounts.filter((m) => m.name === volume.name);
      assert.equal(mounts.length, 1);
      assert.equal(mounts[0]?.readOnly, true, `${volume.name} is mounted read-only`);
    }
    // The kubelet makes Secret files root-owned; the node (uid 1000) reads them through fsGroup.
    assert.equal(pod.securityContext.fsGroup, pod.securityContext.runAsGroup);
    for (const secret of secrets)
      for (const [key, file] of secret.files) {
        assert.ok(!/ca-key/.test(key) && !/ca-key/.test(file), `${secret.name}: no CA private key (${file})`);
      }
  });

  test("all three probes GET /health over HTTPS", () => {
    for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe])
      assert.deepEqual(probe?.httpGet, { path: "/health", port: "http", scheme: "HTTPS" });
  });

  test("the Secrets' source files are ignored by git, and no private key is committed anywhere", () => {
    const sources = secrets.flatMap((s) => [...s.files.values()]);
    const ignored = spawnSync("git", ["check-ignore", "--no-index", ...sources], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.deepEqual(ignored.stdout.trim().split("\n").sort(), [...sources].sort(), ignored.stderr);
    const tracked = spawnSync("git", ["ls-files", "-z"], {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    assert.equal(tracked.status, 0, tracked.stderr);
    const files = tracked.stdout.split("\0").filter((f) => f !== "");
    assert.ok(files.length > 100, "git lists the repository's files");
    for (const source of sources) assert.ok(!files.includes(source), `${source} is not committed`);
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), "latin1");
      } catch {
        continue; // deleted in the working tree, not yet committed
      }
      assert.doesNotMatch(text, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, `${file} holds a private key`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The start script with the overlay's environment, against real nodes

interface HttpsAnswer {
  status: number;
  body: string;
  fingerprint: string;
}

/** One HTTPS request on a new connection; `ca` undefined: the certificate is not checked (the kubelet's probes). */
function httpsGet(
  port: number,
  path: string,
  options: { ca?: Buffer; token?: string },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        agent: false,
        servername: "localhost",
        ca: options.ca,
        rejectUnauthorized: options.ca !== undefined,
        headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
        timeout: 10_000,
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), fingerprint }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** A pod's start script under sh, whose `node` runs this repository's ringkv; JSON log on stderr. */
class ScriptPod {
  readonly child: ChildProcess;
  log = "";
  readonly exited: Promise<number | null>;
  readonly serving: Promise<{ http: string; listen: string }>;

  constructor(script: string, env: Record<string, string>) {
    this.child = spawn("sh", ["-c", script], { env, stdio: ["ignore", "ignore", "pipe"] });
    const child = this.child;
    this.exited = new Promise((resolve) => {
      child.on("close", (code) => resolve(code));
      child.on("error", () => resolve(null));
    });
    this.serving = new Promise((resolve, reject) => {
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
        this.log += `${line}\n`;
        if (!line.includes('"node serving"')) return;
        const record = JSON.parse(line) as { http: string; listen: string };
        resolve({ http: record.http, listen: record.listen });
      });
      void this.exited.then((code) => reject(new Error(`exited with ${code} before serving:\n${this.log}`)));
      setTimeout(() => reject(new Error(`not serving within 60 s:\n${this.log}`)), 60_000).unref();
    });
    this.serving.catch(() => undefined);
  }

  async waitForLog(text: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.log.includes(text)) {
      assert.ok(Date.now() < deadline, `no "${text}" in the log:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** By PID; resolves once it is gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}

const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(":") + 1));

describe("the overlay's pods, run with certificates laid out as its Secrets", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ringkv-k8s-secure-"));
  const fsRoot = join(dir, "fs"); // stands for the container's filesystem: fsRoot + /etc/ringkv/...
  const pki = join(dir, "pki"); // the operator's machine: CA keys never leave it
  const bin = join(dir, "bin");
  const pods: ScriptPod[] = [];
  const token = randomBytes(32).toString("hex");
  let httpCa: { cert: string; key: string };
  const script = container.args?.[0] ?? "";

  /** The Secret key `key` of Secret `name` as the kubelet mounts it, in fsRoot. */
  const mounted = (secretName: string, key: string): string => {
    const volume = pod.volumes?.find((v) => v.secret?.secretName === secretName);
    const mount = container.volumeMounts.find((m) => m.name === volume?.name);
    assert.ok(mount !== undefined, `${secretName} is mounted`);
    const path = join(fsRoot, mount.mountPath, key);
    mkdirSync(dirname(path), { recursive: true });
    return path;
  };
  const issueHttpCert = () =>
    issueCert(
      pki,
      httpCa,
      "ringkv",
      ["localhost"],
      mounted("ringkv-http-tls", "cert.pem"),
      mounted("ringkv-http-tls", "key.pem"),
    );

  before(() => {
    mkdirSync(pki);
    mkdirSync(bin);
    // What `ringkv certs` and `openssl rand` make on the operator's machine, put where the
    // Secrets' keys say; ringkv-0 and ringkv-1 only, so ringkv-2 has no certificate.
    const peerCa = makeCa(pki, "peer-ca");
    copyFileSync(peerCa.cert, mounted("ringkv-peer-certs", "ca.pem"));
    for (const id of ["ringkv-0", "ringkv-1"])
      issueCert(
        pki,
        peerCa,
        id,
        [],
        mounted("ringkv-peer-certs", `${id}.pem`),
        mounted("ringkv-peer-certs", `${id}-key.pem`),
      );
    httpCa = makeCa(pki, "http-ca");
    copyFileSync(httpCa.cert, mounted("ringkv-http-tls", "ca.pem"));
    issueHttpCert();
    writeFileSync(mounted("ringkv-admin-token", "admin-token"), `${token}\n`);
    // `node /app/bin/ringkv.js start` in the image is this repository's bin/ringkv.js here; no
    // pod name resolves (getent fails), as on the cluster's very first start.
    writeFileSync(
      join(bin, "node"),
      `#!/bin/sh\n[ "$1" = /app/bin/ringkv.js ] || exit 97\nshift\nexec "${process.execPath}" "${RINGKV_BIN}" "$@"\n`,
    );
    writeFileSync(join(bin, "getent"), "#!/bin/sh\nexit 2\n");
    chmodSync(join(bin, "node"), 0o755);
    chmodSync(join(bin, "getent"), 0o755);
  });
  after(async () => {
    await Promise.all(pods.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Pod `ordinal`'s environment with the Secret mounts under fsRoot and loopback addresses: the
   * security settings are the overlay's, unchanged.
   */
  const startPod = (ordinal: number, seeds?: string): ScriptPod => {
    const e = env(ordinal);
    for (const [name, value] of Object.entries(e)) {
      const mount = container.volumeMounts.find((m) => value.startsWith(`${m.mountPath}/`));
      if (mount !== undefined && secretKeyAt(value) !== undefined) e[name] = join(fsRoot, value);
    }
    delete e.RINGKV_ADVERTISE_LISTEN;
    delete e.RINGKV_ADVERTISE_HTTP;
    const overrides = {
      RINGKV_LISTEN: "127.0.0.1:0",
      RINGKV_HTTP: "127.0.0.1:0",
      RINGKV_DATA_DIR: join(dir, `data-${ordinal}`),
      ...(seeds === undefined ? {} : { RINGKV_SEEDS: seeds }),
    };
    const p = new ScriptPod(script, { ...e, ...overrides, PATH: `${bin}:${process.env.PATH ?? ""}` });
    pods.push(p);
    return p;
  };
  const httpCaPem = () => readFileSync(mounted("ringkv-http-tls", "ca.pem"));

  test("ringkv-0 forms the cluster; /health answers without a token over HTTPS, as the probes ask", async () => {
    const p0 = startPod(0);
    const port = portOf((await p0.serving).http);
    let health = await httpsGet(port, "/health", {});
    for (let i = 0; i < 100 && health.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await httpsGet(port, "/health", {});
    }
    assert.equal(health.status, 200, health.body);
  });

  test("ringkv-1 joins it over mutual TLS with its own certificate (CN = pod name)", async () => {
    const p0 = pods[0] as ScriptPod;
    const p1 = startPod(1, (await p0.serving).listen);
    await p1.serving;
    const port = portOf((await p0.serving).http);
    let ids: string[] = [];
    for (let i = 0; i < 100 && ids.length < 2; i++) {
      const members = await httpsGet(port, "/cluster/members", { ca: httpCaPem(), token });
      assert.equal(members.status, 200, members.body);
      ids = (JSON.parse(members.body) as { members: { id: string; status: string }[] }).members
        .filter((m) => m.status === "active" || m.status === "up")
        .map((m) => m.id);
      if (ids.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(ids.sort(), ["ringkv-0", "ringkv-1"], p1.log);
  });

  test("a token is required, /metrics is public, the certificate names localhost for the CLI in the pod", async () => {
    const port = portOf((await (pods[0] as ScriptPod).serving).http);
    const ca = httpCaPem();
    assert.equal((await httpsGet(port, "/cluster/members", { ca })).status, 401);
    assert.equal((await httpsGet(port, "/cluster/members", { ca, token: "x".repeat(64) })).status, 401);
    const metrics = await httpsGet(port, "/metrics", { ca });
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^# HELP /m);
    // `kubectl exec ringkv-0 -- sh -c 'RINGKV_TOKEN=$(cat ...) ringkv status'`: the pod's
    // RINGKV_NODE and RINGKV_CA, the port aside.
    const e = env(0);
    const status = await runCliAsync(["status"], {
      env: {
        RINGKV_NODE: (e.RINGKV_NODE ?? "").replace(`:${httpPort}`, `:${port}`),
        RINGKV_CA: join(fsRoot, e.RINGKV_CA ?? ""),
        RINGKV_TOKEN: token,
      },
    });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /ringkv-1/);
  });

  test("a rotated certificate in the Secret is served after SIGHUP, without a restart", async () => {
    const p0 = pods[0] as ScriptPod;
    const port = portOf((await p0.serving).http);
    const before = await httpsGet(port, "/health", { ca: httpCaPem() });
    issueHttpCert();
    const fresh = new X509Certificate(readFileSync(mounted("ringkv-http-tls", "cert.pem"))).fingerprint256;
    assert.notEqual(fresh, before.fingerprint);
    p0.child.kill("SIGHUP");
    await p0.waitForLog("certificates reloaded (SIGHUP)");
    const afterReload = await httpsGet(port, "/health", { ca: httpCaPem() });
    assert.equal(afterReload.status, 200);
    assert.equal(afterReload.fingerprint, fresh);
  });

  test("a pod the Secret has no certificate for (scaled up first) refuses to start and names the file", async () => {
    const p2 = startPod(2);
    assert.notEqual(await p2.exited, 0);
    assert.match(p2.log, /peer-tls-cert \S*\/etc\/ringkv\/peer\/ringkv-2\.pem/);
  });
});
