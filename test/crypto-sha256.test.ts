/**
 * The canister's SHA-256 (src/crypto/sha256.ts and its generated block function) against FIPS 180-4's examples
 * and OpenSSL (node:crypto) at every length around the padding boundaries of §5.1.1.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256BlockSource } from '../scripts/gen-sha256-block.ts';
import { sha256 } from '../src/crypto/sha256.ts';
import { toHex, utf8 } from '../src/encoding/bytes.ts';

const openssl = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('SHA-256 (FIPS 180-4)', () => {
  it('hashes the FIPS 180-4 examples (one block, two blocks, the empty message, a million a)', () => {
    expect(toHex(sha256(utf8('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(toHex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(toHex(sha256(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(toHex(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('pads every length from 0 to 260 bytes as §5.1.1 says (the 55/56 and 63/64 boundaries included)', () => {
    const data = new Uint8Array(260).map((_, i) => (i * 151 + 7) & 0xff);
    for (let n = 0; n <= data.length; n++) {
      expect(toHex(sha256(data.subarray(0, n))), `length ${n}`).toBe(openssl(data.subarray(0, n)));
    }
  });

  it('agrees with OpenSSL on arbitrary messages and on subarrays at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(64), (bytes, skip) => {
        const view = bytes.subarray(Math.min(skip, bytes.length));
        expect(toHex(sha256(view))).toBe(openssl(view));
      }),
      { numRuns: 200 },
    );
  });

  it('runs the block function scripts/gen-sha256-block.ts writes', () => {
    const file = readFileSync(join(import.meta.dirname, '..', 'src', 'crypto', 'sha256-block.ts'), 'utf8');
    expect(file).toBe(sha256BlockSource());
  });
});
