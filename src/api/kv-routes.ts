import { deleteIf, putIf } from "../coordinator/conditional-write.js";
import { decodeContext, encodeContext, join, type VersionVector } from "../core/causality/index.js";
import {
  DEFAULT_NAMESPACE,
  encodeKey,
  isNamespaceName,
  NAMESPACE_NAME_RULE,
  type NamespaceProperties,
} from "../core/namespace/index.js";
import { HEADER_SAFE_PATTERN, liveSiblings, type StoredObject } from "../core/stored-object.js";
import { BadRequestError, KeyTooLongError } from "../errors.js";
import type { KvOperation } from "../metrics/node-metrics.js";
import { STORED_KEY_BYTES_MAX } from "../protocol/index.js";
import type { ApiRequest } from "./api-request.js";
import { writeCondition } from "./condition-headers.js";
import type { ApiNode } from "./interface.js";
import { decodeKeySegment } from "./key-segment.js";
import { parseRequestOptions } from "./query-params.js";
import { readBody } from "./read-body.js";
import { jsonReply, type Reply } from "./reply.js";
import type { RequestContext, Route } from "./router.js";

export const CONTEXT_HEADER = "x-ringkv-context";
export const RING_VERSION_HEADER = "x-ringkv-ring-version";
/** On a PUT's answer: how many live versions the key has on the coordinator after the write (over 1: concurrent writes). */
export const SIBLINGS_HEADER = "x-ringkv-siblings";
/** On a read of one live value that expires: its deadline, epoch milliseconds (core/expiry.ts). */
export const EXPIRES_AT_HEADER = "x-ringkv-expires-at";
const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/**
 * GET, PUT and DELETE of one key, as API.md describes them: `/kv/{key}` in namespace `default`,
 * `/kv/{ns}/{key}` in namespace `ns`.
 */
export function kvRoutes(node: ApiNode): Route[] {
  const methods = (target: (ctx: RequestContext) => KeyTarget) => ({
    GET: (ctx: RequestContext) => timed(node, "get", () => getKey(node, ctx, target(ctx))),
    HEAD: (ctx: RequestContext) => timed(node, "get", () => getKey(node, ctx, target(ctx))),
    PUT: (ctx: RequestContext) => timed(node, "put", () => putKey(node, ctx, target(ctx))),
    DELETE: (ctx: RequestContext) => timed(node, "delete", () => deleteKey(node, ctx, target(ctx))),
  });
  return [
    {
      name: "kv",
      pattern: ["kv", ":key"],
      methods: methods((ctx) => keyTarget(node, DEFAULT_NAMESPACE, ctx.params[0] ?? "")),
    },
    {
      name: "kv",
      pattern: ["kv", ":ns", ":key"],
      methods: methods((ctx) =>
        keyTarget(node, decodeNamespaceSegment(ctx.params[0] ?? ""), ctx.params[1] ?? ""),
      ),
    },
    {
      name: "kv",
      pattern: ["kv"],
      methods: { GET: missingKey, HEAD: missingKey, PUT: missingKey, DELETE: missingKey },
    },
    {
      name: "kv",
      pattern: ["kv", "*"],
      methods: { GET: nestedKey, HEAD: nestedKey, PUT: nestedKey, DELETE: nestedKey },
    },
  ];
}

function missingKey(): Reply {
  throw new BadRequestError("key must not be empty: use /kv/{key}");
}

function nestedKey(): Reply {
  throw new BadRequestError(
    "a key path is /kv/{key} or /kv/{namespace}/{key}, the key one path segment: percent-encode '/' in keys as %2F",
  );
}

/** The key a request addresses: its namespace, its stored bytes, and the namespace's properties. */
export interface KeyTarget {
  readonly namespace: string;
  readonly stored: Uint8Array;
  readonly properties: NamespaceProperties;
}

/** A namespace path segment: the name as is (its characters need no percent-encoding). */
export function decodeNamespaceSegment(segment: string): string {
  if (!isNamespaceName(segment)) throw new BadRequestError(`bad namespace name: ${NAMESPACE_NAME_RULE}`);
  return segment;
}

export function keyTarget(node: ApiNode, namespace: string, segment: string): KeyTarget {
  const key = decodeKeySegment(segment, node.limits.keyBytesMax);
  const stored = encodeKey(namespace, key);
  // Storage and peers bound stored keys; with a --max-key-bytes near that bound the name counts too.
  if (stored.length > STORED_KEY_BYTES_MAX)
    throw new KeyTooLongError(key.length, STORED_KEY_BYTES_MAX - (stored.length - key.length));
  return { namespace, stored, properties: node.namespaces().properties(namespace) };
}

async function timed(node: ApiNode, op: KvOperation, run: () => Promise<Reply>): Promise<Reply> {
  const started = process.hrtime.bigint();
  let outcome = "error";
  try {
    const reply = await run();
    // Lets a ring-aware client notice a ring change on any answer and refresh its routing.
    const ringVersion = node.ringVersion();
    if (ringVersion !== undefined)
      reply.headers = { ...reply.headers, [RING_VERSION_HEADER]: String(ringVersion) };
    outcome = reply.status === 404 ? "not_found" : reply.status === 300 ? "siblings" : "ok";
    return reply;
  } catch (error) {
    if (error instanceof Error && "code" in error && typeof error.code === "string") outcome = error.code;
    throw error;
  } finally {
    node.metrics.observeKv(op, outcome, Number(process.hrtime.bigint() - started) / 1e9);
  }
}

async function getKey(node: ApiNode, ctx: RequestContext, target: KeyTarget): Promise<Reply> {
  refuseTtl(ctx.query, "GET");
  const options = parseRequestOptions(ctx.query, node.settings, node.limits, target.properties);
  const object = await node.coordinator.get(target.stored, options);
  return readReply(object);
}

/** 200 with the one live value, 300 with several, 404 when none (a tombstone keeps its context). */
export function readReply(object: StoredObject | undefined): Reply {
  const context =
    object === undefined || object.entries.length === 0 ? undefined : encodeContext(join(object));
  const contextHeader: Record<string, string> = context === undefined ? {} : { [CONTEXT_HEADER]: context };
  const live = object === undefined ? [] : liveSiblings(object);
  const only = live[0];
  if (only === undefined) {
    return jsonReply(404, { error: "not_found", message: "key not found" }, contextHeader);
  }
  if (live.length === 1) {
    const expiresHeader: Record<string, string> =
      only.expiresAtMs === undefined ? {} : { [EXPIRES_AT_HEADER]: String(only.expiresAtMs) };
    return {
      status: 200,
      headers: { "content-type": only.contentType, ...contextHeader, ...expiresHeader },
      body: only.value,
    };
  }
  const siblings = live.map((s) => ({
    value: Buffer.from(s.value).toString("base64"),
    contentType: s.contentType,
    ...(s.expiresAtMs === undefined ? {} : { expiresAtMs: s.expiresAtMs }),
  }));
  return jsonReply(300, { context, siblings }, contextHeader);
}

async function putKey(node: ApiNode, ctx: RequestContext, target: KeyTarget): Promise<Reply> {
  const key = target.stored;
  const options = parseRequestOptions(ctx.query, node.settings, node.limits, target.properties);
  const given = requestContext(ctx.req, node.limits.contextBytesMax);
  const condition = writeCondition(ctx.req, "PUT", given, node.limits.contextBytesMax);
  const context = given ?? [];
  const contentType = requestContentType(ctx.req, node.limits.contentTypeBytesMax);
  const value = await readBody(ctx.req, node.limits.valueBytesMax);
  const sibling = { value: new Uint8Array(value), contentType, deleted: false, writtenAtMs: node.nowMs() };
  const object =
    condition === undefined
      ? await node.coordinator.put(key, sibling, context, options)
      : await putIf(node.coordinator, key, sibling, condition, options, () => node.nowMs());
  return {
    status: 204,
    headers: {
      [CONTEXT_HEADER]: encodeContext(join(object)),
      [SIBLINGS_HEADER]: String(liveSiblings(object).length),
    },
  };
}

async function deleteKey(node: ApiNode, ctx: RequestContext, target: KeyTarget): Promise<Reply> {
  const key = target.stored;
  refuseTtl(ctx.query, "DELETE");
  const options = parseRequestOptions(ctx.query, node.settings, node.limits, target.properties);
  const context = requestContext(ctx.req, node.limits.contextBytesMax);
  const condition = writeCondition(ctx.req, "DELETE", context, node.limits.contextBytesMax);
  const object =
    condition === undefined
      ? await node.coordinator.delete(key, context, options)
      : await deleteIf(node.coordinator, key, condition, options, () => node.nowMs());
  const headers =
    object === undefined || object.entries.length === 0
      ? {}
      : { [CONTEXT_HEADER]: encodeContext(join(object)) };
  return { status: 204, headers };
}

/** `ttl_s` sets the expiry of a written version: on a read or a delete it would mean nothing. */
function refuseTtl(query: string, method: string): void {
  if (new URLSearchParams(query).has("ttl_s"))
    throw new BadRequestError(`ttl_s applies to PUT only, not to ${method}`);
}

/** The client's causal context; an absent or empty header means "no context". */
function requestContext(req: ApiRequest, contextBytesMax: number): VersionVector | undefined {
  const header = req.headers[CONTEXT_HEADER];
  if (header === undefined || header === "") return undefined;
  if (Array.isArray(header)) throw new BadRequestError(`${CONTEXT_HEADER} must be given once`);
  return decodeContext(header, { encodedLengthMax: contextBytesMax, actorsMax: 256 });
}

function requestContentType(req: ApiRequest, bytesMax: number): string {
  const header = req.headers["content-type"];
  if (header === undefined || header === "") return DEFAULT_CONTENT_TYPE;
  if (Buffer.byteLength(header, "latin1") > bytesMax) {
    throw new BadRequestError(`Content-Type is longer than ${bytesMax} bytes`);
  }
  if (!HEADER_SAFE_PATTERN.test(header))
    throw new BadRequestError("Content-Type holds characters a header may not");
  return header;
}
