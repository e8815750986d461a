/**
 * Builds @noble/curves' Ed25519 base-point table once per heap (install and every upgrade), so the first Ed25519
 * DKIM signature after a deploy does not pay for it inside an email's update (about 1.1 B instructions;
 * ic-notes.md §3). The check uses RFC 8032 §7.1 test 1 and traps if it does not verify: the crypto is broken.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { hex } from '@scure/base';

const PUBLIC_KEY = hex.decode('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const SIGNATURE = hex.decode(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
);

export function warmEd25519(): void {
  if (!ed25519.verify(SIGNATURE, new Uint8Array(0), PUBLIC_KEY, { zip215: false })) {
    throw new Error('Ed25519 self-test failed');
  }
}
