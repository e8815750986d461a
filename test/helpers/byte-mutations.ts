/** fast-check mutations of a byte string (a request body): the damage the devnet's property tests deal to it. */
import fc from 'fast-check';
import { concatBytes } from '../../src/encoding/bytes.ts';

/** One edit; `at` is taken modulo the length of the bytes it is applied to. */
export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly value: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'extend'; readonly tail: Uint8Array }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly count: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('extend' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
);

/** `body` with `m` applied, as a new array (`body` is left as it is). */
export function applyMutation(body: Uint8Array, m: Mutation): Uint8Array {
  const i = 'at' in m ? m.at % body.length : 0;
  switch (m.op) {
    case 'flip': {
      const out = body.slice();
      out[i]! ^= 1 << m.bit;
      return out;
    }
    case 'set': {
      const out = body.slice();
      out[i] = m.value;
      return out;
    }
    case 'truncate':
      return body.slice(0, i);
    case 'extend':
      return concatBytes(body, m.tail);
    case 'insert':
      return concatBytes(body.subarray(0, i), m.bytes, body.subarray(i));
    case 'delete':
      return concatBytes(body.subarray(0, i), body.subarray(i + m.count));
  }
}
