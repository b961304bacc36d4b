import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { envName, parseFlags } from "../../src/cli/flags.js";
import { nodeOptionsFromFlags, startSpec } from "../../src/cli/start-command.js";

/**
 * What the deployment tests share: the repository's files, the `ringkv start` view of an
 * environment, the Kubernetes manifests as the tests read them, and the kubelet's $(VAR)
 * expansion.
 */

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");

/** Environment variables `ringkv start` reads: RINGKV_<FLAG> for each of its flags. */
export const START_ENV = new Set(startSpec.flags.filter((f) => f.env === true).map((f) => envName(f.name)));

/** Checks a node's environment the way `ringkv start` does, and returns the options it yields. */
export function startOptions(env: Record<string, string>) {
  for (const name of Object.keys(env))
    if (name.startsWith("RINGKV_")) assert.ok(START_ENV.has(name), `${name} is not a flag of ringkv start`);
  return nodeOptionsFromFlags(parseFlags(startSpec, [], env));
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
export interface Probe {
  httpGet?: { path: string; port: string; scheme?: string };
}
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env: EnvVar[];
  ports: { name: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: VolumeMount[];
}
export interface Volume {
  name: string;
  secret?: { secretName: string; defaultMode?: number; items?: unknown[] };
}
export interface Meta {
  name: string;
  labels?: Record<string, string>;
}
export interface PodSpec {
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot: boolean; runAsUser: number; runAsGroup: number; fsGroup?: number };
  containers: Container[];
  volumes?: Volume[];
}
export interface StatefulSetSpec {
  replicas: number;
  serviceName: string;
  podManagementPolicy: string;
  selector: { matchLabels: Record<string, string> };
  persistentVolumeClaimRetentionPolicy: { whenScaled: string };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  volumeClaimTemplates: {
    metadata: Meta;
    spec: { accessModes: string[]; resources: { requests: { storage: string } } };
  }[];
}
export interface ServiceSpec {
  clusterIP?: string;
  publishNotReadyAddresses?: boolean;
  selector: Record<string, string>;
  ports: { name: string; port: number; targetPort: string }[];
}
export interface PdbSpec {
  maxUnavailable: number;
  selector: { matchLabels: Record<string, string> };
}
/** A manifest; `spec` is typed per kind where it is looked up (the test checks what it reads). */
export interface K8sObject<Spec = unknown> {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec: Spec;
}

/** Every document of a YAML file of the repository, failing on any parse error. */
export function readManifests(path: string): K8sObject[] {
  return parseAllDocuments(read(path)).map((doc) => {
    assert.equal(doc.errors.length, 0, `${path}: ${doc.errors.join("; ")}`);
    return doc.toJS() as K8sObject;
  });
}

/** The manifests a plain kustomization (resources only) lists, in order. */
export function kustomizeResources(dir: string): K8sObject[] {
  const kustomization = parse(read(join(dir, "kustomization.yaml"))) as { resources: string[] };
  return kustomization.resources.flatMap((file) => readManifests(join(dir, file)));
}

/** The kubelet's $(VAR) expansion: only variables defined earlier in the list are replaced. */
export function podEnv(env: EnvVar[], fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.valueFrom?.fieldRef !== undefined) {
      const value = fields[e.valueFrom.fieldRef.fieldPath];
      assert.ok(value !== undefined, `field ${e.valueFrom.fieldRef.fieldPath}`);
      out[e.name] = value;
      continue;
    }
    out[e.name] = (e.value ?? "").replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => {
      assert.ok(name in out, `${e.name} refers to $(${name}), which is not defined before it`);
      return out[name] ?? whole;
    });
  }
  return out;
}
