import { ConfigError } from "../errors.js";

export interface FaultInjectionOptions {
  /**
   * Outgoing requests to one peer held back by a rule (waiting out a drop or a delay). One more is
   * refused with PeerOverloadedError, as the real transport refuses past its in-flight and
   * wait-queue limits (256 + 1024 by default, hence the default here).
   */
  outgoingRequestsHeldPerPeerMax: number;
  /**
   * Incoming requests from one peer held back by a rule. Each one occupies a slot of the inner
   * transport's per-peer inbound limit (256 by default) until it is settled, so this stays below
   * it: held requests must never make the inner transport refuse the peer's other requests. At
   * the limit the oldest silenced (dropped) request is released early; when every held one is
   * merely delayed, the new one is refused with PeerOverloadedError.
   */
  incomingRequestsHeldPerPeerMax: number;
  /** Delayed one-way messages per peer and direction; one more is dropped, as a full socket buffer would. */
  messagesDelayedPerPeerMax: number;
  /**
   * How long an incoming request from a dropped peer is held unanswered. Longer than any request
   * timeout in ringkv (the client's `timeout_ms` is at most 60 s by default), so its caller has
   * given up before the release answers it.
   */
  silenceMs: number;
}

export const defaultFaultInjectionOptions: FaultInjectionOptions = {
  outgoingRequestsHeldPerPeerMax: 1280,
  incomingRequestsHeldPerPeerMax: 128,
  messagesDelayedPerPeerMax: 1024,
  silenceMs: 5 * 60_000,
};

/** Throws a ConfigError naming the first option out of its range. */
export function checkFaultInjectionOptions(options: FaultInjectionOptions): void {
  const check = (name: keyof FaultInjectionOptions, min: number, max: number): void => {
    const value = options[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(
        `fault injection option ${name} must be an integer in ${min}..${max}, got ${value}`,
      );
    }
  };
  check("outgoingRequestsHeldPerPeerMax", 1, 1_000_000);
  check("incomingRequestsHeldPerPeerMax", 1, 1_000_000);
  check("messagesDelayedPerPeerMax", 1, 1_000_000);
  check("silenceMs", 1, 24 * 60 * 60_000);
}
