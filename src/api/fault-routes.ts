import { BadRequestError } from "../errors.js";
import { type FaultController, type FaultRule, parseFaultRules } from "../net/index.js";
import { readBody } from "./read-body.js";
import { jsonReply } from "./reply.js";
import type { RequestContext, Route } from "./router.js";

/** 64 rules of a few dozen bytes each fit many times over; anything larger is not a rule list. */
export const FAULT_RULES_BODY_BYTES_MAX = 64 * 1024;

/**
 * Testing-only: read and replace the fault-injection rules of this node's inter-node transport.
 * Mounted only on a node started with `--enable-fault-injection`; elsewhere these paths are 404.
 */
export function faultRoutes(controller: FaultController): Route[] {
  return [
    {
      name: "admin_faults",
      pattern: ["admin", "faults"],
      methods: {
        GET: (ctx) => {
          refuseQuery(ctx);
          return jsonReply(200, { rules: controller.rules() });
        },
        PUT: async (ctx) => {
          refuseQuery(ctx);
          const body = await readBody(ctx.req, FAULT_RULES_BODY_BYTES_MAX);
          controller.set(parseRulesBody(body));
          return jsonReply(200, { rules: controller.rules() });
        },
        DELETE: (ctx) => {
          refuseQuery(ctx);
          controller.clear();
          return jsonReply(200, { rules: controller.rules() });
        },
      },
    },
  ];
}

/** A stray parameter is more likely a mistaken tool than something to ignore silently. */
function refuseQuery(ctx: RequestContext): void {
  if (ctx.query !== "") throw new BadRequestError("/admin/faults takes no query parameters");
}

/** The body is `{"rules": [...]}` and nothing else. */
function parseRulesBody(body: Uint8Array): FaultRule[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new BadRequestError("the body is not UTF-8 text");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BadRequestError(`the body is not valid JSON: ${reason}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError('the body must be a JSON object {"rules": [...]}');
  }
  const fields = value as Record<string, unknown>;
  const extra = Object.keys(fields).filter((name) => name !== "rules");
  if (extra.length > 0) {
    throw new BadRequestError(
      `unknown field "${(extra[0] ?? "").slice(0, 64)}"; the body is {"rules": [...]}`,
    );
  }
  if (!("rules" in fields)) throw new BadRequestError('the body needs a "rules" array ([] heals)');
  return parseFaultRules(fields.rules);
}
