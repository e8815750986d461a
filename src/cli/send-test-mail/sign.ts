/**
 * `waxseal send-test-mail`: DKIM signing (c=relaxed/relaxed, d= the From domain) by signers independent of
 * Waxseal's verifier: dkimpy for Ed25519 (RFC 8463), which nodemailer cannot sign; nodemailer for RSA.
 */
import { execFileSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import DKIM from 'nodemailer/lib/dkim';
import { oneLine, SendError } from './send-error.ts';

const DEBIAN_PYTHON = '/usr/bin/python3';
const PYTHON_TIMEOUT_MS = 30_000;

/** dkimpy's sign() (python3-dkim 1.1.4); reads JSON on stdin, writes the DKIM-Signature field (CRLF folded). */
const DKIMPY_SIGN = `
import base64, json, sys
try:
    import dkim
except ImportError as e:
    sys.stderr.write("python3-dkim is not installed (%s)\\n" % e)
    sys.exit(3)
req = json.load(sys.stdin)
try:
    sig = dkim.sign(base64.b64decode(req["message"]), req["selector"].encode(), req["domain"].encode(),
                    req["key"].encode(), signature_algorithm=b"ed25519-sha256",
                    canonicalize=(b"relaxed", b"relaxed"), include_headers=[h.encode() for h in req["headers"]])
except Exception as e:
    sys.stderr.write("dkimpy: %s: %s\\n" % (type(e).__name__, e))
    sys.exit(4)
sys.stdout.write(sig.decode("ascii"))
`;

export function signWithDkimpy(
  message: Buffer,
  domain: string,
  selector: string,
  key: KeyObject,
  headers: readonly string[],
): Buffer {
  // dkimpy takes the 32-byte Ed25519 seed in base64.
  const seed = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url').toString('base64');
  const input = JSON.stringify({
    message: message.toString('base64'),
    domain,
    selector,
    key: seed,
    headers,
  });
  let signature: string;
  try {
    signature = execFileSync(DEBIAN_PYTHON, ['-c', DKIMPY_SIGN], {
      input,
      encoding: 'latin1',
      timeout: PYTHON_TIMEOUT_MS,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const why =
      err.code === 'ENOENT'
        ? `${DEBIAN_PYTHON} not found`
        : oneLine(err.stderr ?? '').split(' Traceback')[0] || oneLine(err.message);
    throw new SendError(
      `Ed25519 signing needs ${DEBIAN_PYTHON} with python3-dkim and python3-nacl (scripts/install-system-deps.sh): ${why}`,
    );
  }
  if (!signature.startsWith('DKIM-Signature:')) throw new SendError('dkimpy returned no DKIM-Signature');
  return Buffer.concat([Buffer.from(signature, 'latin1'), message]);
}

export async function signWithNodemailer(
  message: Buffer,
  domain: string,
  selector: string,
  key: KeyObject,
  headers: readonly string[],
): Promise<Buffer> {
  const signer = new DKIM({
    domainName: domain,
    keySelector: selector,
    privateKey: key,
    headerFieldNames: headers.join(':'),
  });
  const chunks: Buffer[] = [];
  for await (const chunk of signer.sign(message)) chunks.push(chunk as Buffer);
  const signed = Buffer.concat(chunks);
  // nodemailer leaves the message unsigned, without an error, when its signer fails.
  if (!signed.subarray(0, 15).equals(Buffer.from('DKIM-Signature:')))
    throw new SendError('nodemailer did not add a DKIM-Signature');
  return signed;
}
