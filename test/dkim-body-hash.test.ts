/**
 * The body hashes of one message (src/dkim/body-hash.ts, RFC 6376 §3.7 step 1 with §3.4.3–§3.4.5): each
 * canonicalization made once, each (c=, l=) pair hashed once, `l=` past the canonical body refused.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { pureCrypto } from '../src/crypto/pure.ts';
import { bodyHashes } from '../src/dkim/body-hash.ts';
import { utf8 } from '../src/encoding/bytes.ts';

const BODY = utf8('Hello  there. \r\nSecond\tline\r\n\r\n\r\n');
const SIMPLE = 'Hello  there. \r\nSecond\tline\r\n';
const RELAXED = 'Hello there.\r\nSecond line\r\n';
const digest = (text: string) => new Uint8Array(createHash('sha256').update(text, 'latin1').digest());

function counted() {
  const inputs: string[] = [];
  const crypto: CryptoBackend = {
    ...pureCrypto,
    sha256: (data) => {
      inputs.push(new TextDecoder().decode(data));
      return pureCrypto.sha256(data);
    },
  };
  return { crypto, inputs };
}

describe('bodyHashes (RFC 6376 §3.7 step 1)', () => {
  it('hashes the canonical body of each c= once, however many signatures ask', async () => {
    const { crypto, inputs } = counted();
    const hashes = bodyHashes(BODY, crypto);
    const asked = await Promise.all([
      hashes({ bodyCanon: 'relaxed', bodyLength: null }),
      hashes({ bodyCanon: 'simple', bodyLength: null }),
      hashes({ bodyCanon: 'relaxed', bodyLength: null }),
      hashes({ bodyCanon: 'simple', bodyLength: null }),
    ]);
    expect(inputs).toEqual([RELAXED, SIMPLE]);
    expect(asked[0]).toEqual({ hash: digest(RELAXED), unsigned: 0 });
    expect(asked[1]).toEqual({ hash: digest(SIMPLE), unsigned: 0 });
    expect(asked[2]).toBe(asked[0]);
  });

  it('truncates to l= (§3.4.5) and counts the unsigned rest; l= past the canonical body is refused', async () => {
    const { crypto, inputs } = counted();
    const hashes = bodyHashes(BODY, crypto);
    expect(await hashes({ bodyCanon: 'relaxed', bodyLength: 5 })).toEqual({
      hash: digest('Hello'),
      unsigned: RELAXED.length - 5,
    });
    expect(await hashes({ bodyCanon: 'relaxed', bodyLength: RELAXED.length })).toEqual({
      hash: digest(RELAXED),
      unsigned: 0,
    });
    expect(await hashes({ bodyCanon: 'relaxed', bodyLength: RELAXED.length + 1 })).toBeNull();
    expect(inputs).toEqual(['Hello', RELAXED]);
  });
});
