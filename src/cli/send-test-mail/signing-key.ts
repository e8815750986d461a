/**
 * `waxseal send-test-mail`: the signing key. The key record the local test zones publish at
 * `<selector>._domainkey.<domain>` (all-records.zone, CNAMEs followed), and the private key among the `*.pem`
 * files of `--keys` whose public half matches it. Anything missing or unmatched is a UsageError (exit 2).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { txtRdataToString } from '../../challenge/proof-lookup.ts';
import { parseTagList, stripFws } from '../../dkim/tags.ts';
import { type Name, nameTextKey, nameToText } from '../../dns/name.ts';
import { decodeRdata } from '../../dns/rdata.ts';
import { TYPE } from '../../dns/types.ts';
import { parseZoneFile } from '../../dns/zone-file.ts';
import { bytesEqual, decodeBase64 } from '../../encoding/bytes.ts';
import { LIMITS } from '../../limits.ts';
import { UsageError } from '../errors.ts';

const GENERATED_DIR = join(import.meta.dirname, '..', '..', '..', 'test-vectors', 'dnssec', 'generated');
const ZONE_RECORDS = join(GENERATED_DIR, 'all-records.zone');
export const DEFAULT_KEYS = join(GENERATED_DIR, 'keys', 'dkim');

const LDH = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const SELECTOR = new RegExp(`^${LDH}(?:\\.${LDH})*$`);

interface Published {
  /** Owner name (lowercase, no trailing dot) → TXT records, character-strings concatenated. */
  readonly txt: Map<string, string[]>;
  readonly cname: Map<string, string>;
}

function loadPublished(): Published {
  const txt = new Map<string, string[]>();
  const cname = new Map<string, string>();
  for (const rr of parseZoneFile(readFileSync(ZONE_RECORDS, 'utf8'))) {
    const owner = nameTextKey(nameToText(rr.name));
    if (rr.type === TYPE.TXT) {
      const value = txtRdataToString(rr.rdata);
      const list = txt.get(owner) ?? [];
      if (!list.includes(value)) list.push(value);
      txt.set(owner, list);
    } else if (rr.type === TYPE.CNAME) {
      const [target] = decodeRdata(TYPE.CNAME, rr.rdata, 0, rr.rdata.length) as [Name];
      cname.set(owner, nameTextKey(nameToText(target)));
    }
  }
  return { txt, cname };
}

/** Where selector `selector` is published (`<selector>._domainkey.<domain>`), for error messages. */
function domainsWithSelector(zones: Published, selector: string): string[] {
  const prefix = `${selector.toLowerCase()}._domainkey.`;
  const names = [...zones.txt.keys(), ...zones.cname.keys()].filter((n) => n.startsWith(prefix));
  return [...new Set(names.map((n) => n.slice(prefix.length)))].sort();
}

function publishedRecord(zones: Published, name: string): { name: string; record: string } {
  let at = name;
  const seen = new Set<string>();
  for (let hops = 0; zones.cname.has(at); hops++) {
    if (hops >= LIMITS.cnameHops || seen.has(at))
      throw new UsageError(`${name}: the CNAME chain loops or is longer than ${LIMITS.cnameHops} hops`);
    seen.add(at);
    at = zones.cname.get(at)!;
  }
  const record = zones.txt.get(at)?.find((t) => /^\s*v\s*=\s*DKIM1\b|\bp\s*=/.test(t));
  if (record === undefined) {
    const domain = name.slice(name.indexOf('._domainkey.') + '._domainkey.'.length);
    const selector = name.slice(0, name.indexOf('._domainkey.'));
    const known =
      zones.txt.has(`_dmarc.${domain}`) || [...zones.txt.keys()].some((n) => n.endsWith(`.${domain}`));
    const elsewhere = domainsWithSelector(zones, selector);
    const shown =
      elsewhere.length > 6 ? [...elsewhere.slice(0, 5), `… (${elsewhere.length} in all)`] : elsewhere;
    const hint =
      elsewhere.length > 0
        ? `selector ${selector} is published for ${shown.join(', ')}`
        : `no local test zone publishes selector ${selector}`;
    throw new UsageError(
      known
        ? `no DKIM key at ${name} in the local test zones; ${hint}`
        : `${domain} is not one of the local test zones (test-vectors/dnssec/generated: *.wxtest, wxplain); ${hint}`,
    );
  }
  return { name: at, record };
}

export interface SigningKey {
  readonly type: 'ed25519' | 'rsa';
  readonly privateKey: KeyObject;
  readonly file: string;
  /** The name the key record was found at, after CNAMEs. */
  readonly recordName: string;
}

function readKeys(dir: string): { file: string; key: KeyObject }[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.pem'));
  } catch (e) {
    throw new UsageError(`cannot read --keys ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  const keys: { file: string; key: KeyObject }[] = [];
  for (const file of files.sort()) {
    try {
      keys.push({ file: join(dir, file), key: createPrivateKey(readFileSync(join(dir, file), 'utf8')) });
    } catch {
      // Not a private key (or unreadable): it cannot match a published key, so it is skipped.
    }
  }
  return keys;
}

/** The public key as the key record's p= may write it: raw Ed25519; SubjectPublicKeyInfo or PKCS#1 RSA. */
function publicForms(key: KeyObject): Uint8Array[] {
  const pub = createPublicKey(key);
  if (key.asymmetricKeyType === 'ed25519')
    return [Buffer.from(pub.export({ format: 'jwk' }).x!, 'base64url')];
  return [pub.export({ format: 'der', type: 'spki' }), pub.export({ format: 'der', type: 'pkcs1' })];
}

export function findSigningKey(domain: string, selector: string, keysDir: string): SigningKey {
  if (!SELECTOR.test(selector))
    throw new UsageError(`--selector ${JSON.stringify(selector)} is not a DNS label`);
  const name = `${selector.toLowerCase()}._domainkey.${domain.toLowerCase()}`;
  const found = publishedRecord(loadPublished(), name);
  const tags = parseTagList(found.record);
  const p = tags.ok ? tags.tags.get('p') : undefined;
  const published = p === undefined ? null : decodeBase64(stripFws(p));
  const keyType = tags.ok ? (tags.tags.get('k') ?? 'rsa').trim().toLowerCase() : '';
  if (!published || published.length === 0 || (keyType !== 'ed25519' && keyType !== 'rsa'))
    throw new UsageError(
      `the key record at ${found.name} is not an Ed25519 or RSA key this command can sign for`,
    );
  const match = readKeys(keysDir).find(
    ({ key }) => key.asymmetricKeyType === keyType && publicForms(key).some((f) => bytesEqual(f, published)),
  );
  if (!match)
    throw new UsageError(
      `no private key in ${keysDir} matches the ${keyType} key published at ${found.name}`,
    );
  return { type: keyType, privateKey: match.key, file: match.file, recordName: found.name };
}
