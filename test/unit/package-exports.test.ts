import assert from "node:assert/strict";
import { test } from "node:test";

test('the package entry point (import from "ringkv") exports the client, the node factory and the error classes', async () => {
  const entry = (await import("ringkv")) as Record<string, unknown>;
  for (const name of [
    "Client",
    "NodeHttpClient",
    "UnavailableError",
    "NoNodeAvailableError",
    "createNode",
    "RingkvNode",
    "RingkvError",
    "QuorumError",
    "RingkvHttpError",
  ]) {
    assert.equal(typeof entry[name], "function", name);
  }
});
