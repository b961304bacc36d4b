/** Node-to-node messaging: the Transport interface, its TCP and in-memory implementations, their errors. */
export {
  FrameTooLargeError,
  HandshakeError,
  ListenError,
  MalformedFrameError,
  PeerOverloadedError,
  PeerUnreachableError,
  RemoteError,
  RequestTimeoutError,
  TransportClosedError,
} from "./errors.js";
export {
  FaultInjectedError,
  FaultInjectingTransport,
  type FaultInjectionDeps,
  type HeldCounts,
} from "./fault-injecting-transport.js";
export { defaultFaultInjectionOptions, type FaultInjectionOptions } from "./fault-injection-options.js";
export {
  FAULT_DELAY_MS_MAX,
  FAULT_RULES_MAX,
  type FaultController,
  type FaultDirection,
  type FaultMode,
  type FaultRule,
  parseFaultRules,
} from "./fault-rules.js";
export { PROTOCOL_VERSION } from "./handshake.js";
export type { LinkFault } from "./memory-faults.js";
export {
  defaultMemoryTransportOptions,
  MemoryNetwork,
  type MemoryNetworkComponents,
  MemoryTransport,
  type MemoryTransportOptions,
} from "./memory-transport.js";
export type { PeerLimits } from "./peer-limits.js";
export {
  TcpTransport,
  type TcpTransportComponents,
  type TcpTransportOptions,
} from "./tcp-transport.js";
export type { Message, PeerInfo, RequestOptions, Transport, TransportHandler } from "./transport.js";
