import type { Coordinator } from "../coordinator/coordinator.js";
import type { HintStore } from "../coordinator/hint-store.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import { encodeStoredObject } from "../core/stored-object.js";
import type { Message } from "../net/transport.js";
import { errorMessage } from "./error-wire.js";
import {
  type KvLimits,
  parseHintRequest,
  parsePutRequest,
  parseReadRequest,
  parseReplicateRequest,
} from "./kv-messages.js";

/** Serves other nodes' requests about keys held here. Bad messages get an error reply, never a crash. */
export class KvRequestHandler {
  constructor(
    private readonly replica: LocalReplica,
    private readonly hints: HintStore,
    private readonly coordinator: () => Coordinator,
    private readonly limits: () => KvLimits,
  ) {}

  handles(type: string): boolean {
    return type === "kv_read" || type === "kv_replicate" || type === "kv_put" || type === "kv_hint";
  }

  async handle(message: Message): Promise<Message> {
    try {
      switch (message.type) {
        case "kv_read": {
          const r = parseReadRequest(message, this.limits());
          const object =
            r.hintFor === undefined
              ? this.replica.read(r.partition, r.key)
              : this.hints.read(r.hintFor, r.partition, r.key);
          return { type: "kv_read_ok", object: object === undefined ? null : encodeStoredObject(object) };
        }
        case "kv_replicate": {
          const r = parseReplicateRequest(message, this.limits());
          await this.replica.merge(r.partition, r.key, r.object);
          return { type: "kv_replicate_ok" };
        }
        case "kv_hint": {
          const r = parseHintRequest(message, this.limits());
          await this.hints.add(r.target, r.partition, r.key, r.object);
          return { type: "kv_hint_ok" };
        }
        case "kv_put": {
          const r = parsePutRequest(message, this.limits());
          const coordinator = this.coordinator();
          const partition = coordinator.partitionOf(r.key);
          const object = await coordinator.coordinatePut(partition, r.key, r.sibling, r.context, {
            r: 1,
            pr: 0,
            w: r.w,
            pw: r.pw,
            timeoutMs: r.timeoutMs,
          });
          return { type: "kv_put_ok", object: encodeStoredObject(object) };
        }
        default:
          throw new Error(`unexpected message type ${message.type}`);
      }
    } catch (error) {
      return errorMessage(error);
    }
  }
}
