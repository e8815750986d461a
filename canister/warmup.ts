/**
 * Builds the verifiers' per-heap tables once per heap (install and every upgrade), so the first email after a
 * deploy does not pay for them inside its update: the Ed25519 base-point table (src/crypto/ed25519.ts) and the
 * P-256 generator table (src/crypto/p256.ts), about 20 M instructions each. Each is built by verifying a published
 * test vector, which traps when it does not verify: the crypto is broken. RFC 8032 §7.1 test 1 (Ed25519) and
 * RFC 6979 §A.2.5 (P-256 with SHA-256, message "sample").
 */
import { hex } from '@scure/base';
import { ed25519Verify } from '../src/crypto/ed25519.ts';
import { p256Verify } from '../src/crypto/p256.ts';
import { utf8 } from '../src/encoding/bytes.ts';

const ED25519_KEY = hex.decode('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const ED25519_SIGNATURE = hex.decode(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
);
const P256_KEY = hex.decode(
  '60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
);
const P256_SIGNATURE = hex.decode(
  'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8',
);

export function warmCrypto(): void {
  if (!ed25519Verify(ED25519_KEY, new Uint8Array(0), ED25519_SIGNATURE)) {
    throw new Error('Ed25519 self-test failed');
  }
  if (!p256Verify(P256_KEY, utf8('sample'), P256_SIGNATURE)) {
    throw new Error('P-256 self-test failed');
  }
}
