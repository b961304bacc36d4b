import { PeerMessageError } from "./errors.js";
import type { ProtocolLimits } from "./limits.js";

/**
 * A small schema combinator library for peer messages: each schema checks a value that arrived
 * from another node (already decoded from MessagePack) and returns it typed, possibly converted
 * (bytes decoded into a stored object). A value that does not fit is refused with a
 * PeerMessageError naming the field, never read past or half-applied.
 *
 * `Out` is what the receiver gets; `In` is what a sender hands over (the wire form). They differ
 * only where a schema converts.
 */
export interface Schema<Out, In = Out> {
  parse(value: unknown, limits: ProtocolLimits, path: string): Out;
  /** Never set: carries the sender's type for inference. */
  readonly in?: In;
}

export type Output<S> = S extends Schema<infer O, unknown> ? O : never;
export type Input<S> = S extends Schema<unknown, infer I> ? I : never;

/** A bound fixed in the schema, or read from the receiver's limits (its partitions, its key size). */
export type Bound = number | ((limits: ProtocolLimits) => number);

const boundOf = (bound: Bound, limits: ProtocolLimits): number =>
  typeof bound === "number" ? bound : bound(limits);

function fail(path: string, expected: string): never {
  throw new PeerMessageError(`${path}: expected ${expected}`);
}

/** An integer in [min, max]. */
export function int(min: Bound, max: Bound): Schema<number> {
  return {
    parse(value, limits, path) {
      const lo = boundOf(min, limits);
      const hi = boundOf(max, limits);
      if (typeof value !== "number" || !Number.isInteger(value) || value < lo || value > hi)
        fail(path, `an integer in ${lo}..${hi}`);
      return value;
    },
  };
}

export const finite: Schema<number> = {
  parse(value, _limits, path) {
    if (typeof value !== "number" || !Number.isFinite(value)) fail(path, "a finite number");
    return value;
  },
};

export const bool: Schema<boolean> = {
  parse(value, _limits, path) {
    if (typeof value !== "boolean") fail(path, "a boolean");
    return value;
  },
};

/** Bytes of a length in [min, max]. */
export function bytes(min: Bound, max: Bound): Schema<Uint8Array> {
  return {
    parse(value, limits, path) {
      const lo = boundOf(min, limits);
      const hi = boundOf(max, limits);
      if (!(value instanceof Uint8Array) || value.length < lo || value.length > hi)
        fail(path, `${lo}..${hi} bytes`);
      return value;
    },
  };
}

/** A string of at most `utf8BytesMax` bytes, matching `pattern` when given. */
export function string(utf8BytesMax: Bound, pattern?: RegExp): Schema<string> {
  return {
    parse(value, limits, path) {
      const max = boundOf(utf8BytesMax, limits);
      if (typeof value !== "string" || Buffer.byteLength(value) > max)
        fail(path, `a string of at most ${max} bytes`);
      if (pattern !== undefined && !pattern.test(value)) fail(path, `a string matching ${pattern.source}`);
      return value;
    },
  };
}

export function nullable<O, I>(schema: Schema<O, I>): Schema<O | null, I | null> {
  return {
    parse: (value, limits, path) => (value === null ? null : schema.parse(value, limits, path)),
  };
}

/** An absent field (or nil, which MessagePack senders use for "absent") reads as undefined. */
export function optional<O, I>(schema: Schema<O, I>): Schema<O | undefined, I | undefined> {
  return {
    parse: (value, limits, path) =>
      value === undefined || value === null ? undefined : schema.parse(value, limits, path),
  };
}

export function array<O, I>(item: Schema<O, I>, lengthMax: Bound): Schema<O[], readonly I[]> {
  return {
    parse(value, limits, path) {
      const max = boundOf(lengthMax, limits);
      if (!Array.isArray(value) || value.length > max) fail(path, `a list of at most ${max} items`);
      return value.map((v, i) => item.parse(v, limits, `${path}[${i}]`));
    },
  };
}

type OutputsOf<T extends readonly Schema<unknown, unknown>[]> = { [K in keyof T]: Output<T[K]> };
type InputsOf<T extends readonly Schema<unknown, unknown>[]> = { readonly [K in keyof T]: Input<T[K]> };

export function tuple<const T extends readonly Schema<unknown, unknown>[]>(
  ...items: T
): Schema<OutputsOf<T>, InputsOf<T>> {
  return {
    parse(value, limits, path) {
      if (!Array.isArray(value) || value.length !== items.length) fail(path, `a list of ${items.length}`);
      return items.map((s, i) => s.parse(value[i], limits, `${path}[${i}]`)) as OutputsOf<T>;
    },
  };
}

export type Fields = Record<string, Schema<unknown, unknown>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type UndefinedKeys<T> = { [K in keyof T]: undefined extends T[K] ? K : never }[keyof T];
/** Fields a schema may leave undefined are optional properties on the sender's side. */
type WithOptional<T> = Simplify<
  { [K in Exclude<keyof T, UndefinedKeys<T>>]: T[K] } & { [K in UndefinedKeys<T>]?: T[K] }
>;
export type ObjectOutput<F extends Fields> = Simplify<{ [K in keyof F]: Output<F[K]> }>;
export type ObjectInput<F extends Fields> = WithOptional<{ [K in keyof F]: Input<F[K]> }>;

/** A map with these fields; other fields are ignored (a newer sender may add some). */
export function object<F extends Fields>(fields: F): Schema<ObjectOutput<F>, ObjectInput<F>> {
  const entries = Object.entries(fields);
  return {
    parse(value, limits, path) {
      if (typeof value !== "object" || value === null || Array.isArray(value) || ArrayBuffer.isView(value))
        fail(path, "a map");
      const source = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, schema] of entries) {
        const field = schema.parse(source[name], limits, `${path}.${name}`);
        if (field !== undefined) out[name] = field;
      }
      return out as ObjectOutput<F>;
    },
  };
}

/** `schema`, then a check across its fields: `problem` returns what is wrong, or undefined. */
export function refine<O, I>(
  schema: Schema<O, I>,
  problem: (value: O, limits: ProtocolLimits) => string | undefined,
): Schema<O, I> {
  return {
    parse(value, limits, path) {
      const out = schema.parse(value, limits, path);
      const wrong = problem(out, limits);
      if (wrong !== undefined) throw new PeerMessageError(`${path}: ${wrong}`);
      return out;
    },
  };
}

/**
 * A schema written as a parse function, for structures with parsers of their own (a cluster
 * state, a stored object). Whatever the function throws is refused as a malformed message.
 */
export function custom<O, I = O>(parse: (value: unknown, limits: ProtocolLimits) => O): Schema<O, I> {
  return {
    parse(value, limits, path) {
      try {
        return parse(value, limits);
      } catch (error) {
        if (error instanceof PeerMessageError) throw error;
        throw new PeerMessageError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}
