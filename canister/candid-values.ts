/**
 * A small Candid value writer (Candid spec §"Binary format", M and the value encodings of text, nat64, blob, vec,
 * record and variant) for replies whose automatic encoding is too costly in QuickJS: @dfinity/candid's `IDL.encode`
 * spends about 20 M instructions on the nested `ChallengeStatus` type (polled by `email_challenge_status`, returned
 * inside `SubmitProofResult`), mostly on the type table. The type table (the reply's prefix) is computed once by
 * `IDL.encode` itself, so only values are written here. No Azle imports: test/candid-values.test.ts checks it byte
 * for byte against `IDL.encode`.
 */

export type CandidShape =
  | { readonly kind: 'null' | 'text' | 'nat64' | 'blob' }
  | { readonly kind: 'vec'; readonly of: CandidShape }
  | { readonly kind: 'record' | 'variant'; readonly fields: ReadonlyArray<readonly [string, CandidShape]> };

/** Candid field id: the 32-bit hash of the UTF-8 label (Candid spec "idl_hash"). */
export function fieldId(label: string): number {
  let h = 0;
  for (const b of new TextEncoder().encode(label)) h = (Math.imul(h, 223) + b) >>> 0;
  return h;
}

/** Fields in the order Candid sorts them: by field id, unsigned. */
function sorted(fields: ReadonlyArray<readonly [string, CandidShape]>) {
  return [...fields].sort((a, b) => fieldId(a[0]) - fieldId(b[0]));
}

class Out {
  private readonly bytes: number[] = [];
  leb(n: number): void {
    let v = n;
    do {
      const b = v & 0x7f;
      v = Math.floor(v / 128);
      this.bytes.push(v > 0 ? b | 0x80 : b);
    } while (v > 0);
  }
  raw(b: Uint8Array): void {
    for (const x of b) this.bytes.push(x);
  }
  u64(n: bigint): void {
    for (let i = 0n; i < 8n; i++) this.bytes.push(Number((n >> (8n * i)) & 0xffn));
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

function write(shape: CandidShape, value: unknown, out: Out): void {
  switch (shape.kind) {
    case 'null':
      return;
    case 'text': {
      const b = new TextEncoder().encode(value as string);
      out.leb(b.length);
      out.raw(b);
      return;
    }
    case 'nat64':
      out.u64(value as bigint);
      return;
    case 'blob': {
      const b = value as Uint8Array;
      out.leb(b.length);
      out.raw(b);
      return;
    }
    case 'vec': {
      const items = value as readonly unknown[];
      out.leb(items.length);
      for (const item of items) write(shape.of, item, out);
      return;
    }
    case 'record':
      for (const [name, field] of sorted(shape.fields))
        write(field, (value as Record<string, unknown>)[name], out);
      return;
    case 'variant': {
      const [tag, payload] = Object.entries(value as Record<string, unknown>)[0]!;
      const fields = sorted(shape.fields);
      const index = fields.findIndex(([name]) => name === tag);
      if (index < 0) throw new RangeError(`unknown variant tag ${tag}`);
      out.leb(index);
      write(fields[index]![1], payload, out);
      return;
    }
  }
}

/** The value bytes of `value` (without the DIDL header and type table). */
function encodeValue(shape: CandidShape, value: unknown): Uint8Array {
  const out = new Out();
  write(shape, value, out);
  return out.done();
}

/** `ChallengeStatus` of candid/waxseal.did, as a shape. */
const text = { kind: 'text' } as const;
const nul = { kind: 'null' } as const;
export const CHALLENGE_STATUS_SHAPE: CandidShape = {
  kind: 'variant',
  fields: [
    ['Pending', nul],
    [
      'NeedProof',
      {
        kind: 'record',
        fields: [
          ['domain', text],
          ['selectors', { kind: 'vec', of: text }],
          ['key_names', { kind: 'vec', of: text }],
        ],
      },
    ],
    ['Resolving', nul],
    ['SetupComplete', { kind: 'record', fields: [['address', text]] }],
    [
      'RecoveryReady',
      {
        kind: 'record',
        fields: [
          ['anchor', { kind: 'nat64' }],
          ['user_key', { kind: 'blob' }],
          ['expiration', { kind: 'nat64' }],
        ],
      },
    ],
    [
      'Failed',
      {
        kind: 'record',
        fields: [
          ['code', text],
          ['message', text],
          [
            'checks',
            {
              kind: 'vec',
              of: {
                kind: 'record',
                fields: [
                  ['name', text],
                  [
                    'status',
                    {
                      kind: 'variant',
                      fields: [
                        ['Pass', nul],
                        ['Fail', nul],
                        ['Skipped', nul],
                      ],
                    },
                  ],
                  ['detail', text],
                ],
              },
            },
          ],
        ],
      },
    ],
    ['Expired', nul],
  ],
};

/** `SubmitProofResult` of candid/waxseal.did: the status, or an `ApiError`. */
export const SUBMIT_PROOF_RESULT_SHAPE: CandidShape = {
  kind: 'variant',
  fields: [
    ['Ok', CHALLENGE_STATUS_SHAPE],
    [
      'Err',
      {
        kind: 'record',
        fields: [
          ['code', text],
          ['message', text],
        ],
      },
    ],
  ],
};

/**
 * A writer of one reply type: the prefix (DIDL, type table, argument types) is cut once from `IDL.encode` of a
 * `sample` value (the encoding minus the sample's value bytes); each reply then only writes its value.
 */
export function replyWriter(shape: CandidShape, encodedSample: Uint8Array, sample: unknown) {
  const prefix = encodedSample.slice(0, encodedSample.length - encodeValue(shape, sample).length);
  return (value: unknown): Uint8Array => {
    const bytes = encodeValue(shape, value);
    const reply = new Uint8Array(prefix.length + bytes.length);
    reply.set(prefix);
    reply.set(bytes, prefix.length);
    return reply;
  };
}

const TEXT_ARG = [0x44, 0x49, 0x44, 0x4c, 0x00, 0x01, 0x71];

/**
 * The single `text` argument in its canonical encoding (DIDL, empty type table, one `text`), or undefined for any
 * other layout, which the caller then hands to `IDL.decode` (valid Candid may spell the same value differently).
 */
export function decodeCanonicalTextArg(bytes: Uint8Array): string | undefined {
  if (bytes.length < TEXT_ARG.length + 1 || TEXT_ARG.some((b, i) => bytes[i] !== b)) return undefined;
  let pos = TEXT_ARG.length;
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= bytes.length || shift > 28) return undefined;
    const b = bytes[pos++]!;
    len += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) break;
  }
  if (pos + len !== bytes.length) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(pos));
  } catch {
    return undefined;
  }
}
