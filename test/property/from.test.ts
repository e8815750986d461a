/**
 * Property tests for the From: parser (RFC 5322 §3.4 mailbox, as protocol.md §6 restricts it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFrom } from '../../src/mail/from.ts';
import { binaryTextOf, mixCase } from '../helpers/arbitraries.ts';

const binaryText = binaryTextOf(
  ['<', '>', '@', ',', ':', ';', '"', '\\', '(', ')', '[', ']', ' ', '\r\n ', 'a', '.'],
  100,
);

/** RFC 5322 §3.2.3 atext. */
const ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~";
const atom = fc.string({ unit: fc.constantFrom(...ATEXT), minLength: 1, maxLength: 20 });
const dotAtom = fc.array(atom, { minLength: 1, maxLength: 4 }).map((a) => a.join('.'));

const LDH = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const label = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...LDH), minLength: 1, maxLength: 1 }),
    fc.string({ unit: fc.constantFrom(...LDH, '-'), maxLength: 20 }),
    fc.string({ unit: fc.constantFrom(...LDH), minLength: 1, maxLength: 1 }),
    fc.boolean(),
  )
  .map(([a, mid, z, short]) => (short ? a : a + mid + z));
const domain = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));

const addrSpec = fc
  .tuple(dotAtom, domain)
  .filter(([local, dom]) => local.length <= 64 && local.length + 1 + dom.length <= 254)
  .map(([local, dom]) => ({ local, domain: dom }));

/** Printable ASCII, for quoted strings and comments (escaped where their syntax needs it). */
const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 16,
});
const quoted = printable.map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
const comment = fc.tuple(printable, fc.boolean()).map(([s, nested]) => {
  const inner = s.replace(/[\\()]/g, (c) => `\\${c}`);
  return nested ? `(${inner} (nested))` : `(${inner})`;
});
/** CFWS: whitespace (possibly folded) and comments; may be empty. */
const cfws = fc
  .array(fc.oneof(fc.constantFrom(' ', '\t', '\r\n ', '  '), comment), { maxLength: 2 })
  .map((parts) => parts.join(' '));
const sep = fc.constantFrom(' ', '\t', '\r\n ', ' \r\n\t');

const displayName = fc.oneof(
  fc.array(atom, { minLength: 1, maxLength: 3 }).map((w) => w.join(' ')),
  quoted,
  fc.tuple(atom, quoted).map(([a, q]) => `${a} ${q}`),
);

/** `addr` alone, or after a display name in angle brackets. */
function mailbox(name: string | null, addr: string): string {
  return name === null ? addr : `${name} <${addr}>`;
}

function expectMalformedFrom(value: string): void {
  const r = parseFrom(value);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.code).toBe('MalformedFromHeader');
}

describe('parseFrom properties', () => {
  it('never throws on arbitrary strings; ok or MalformedFromHeader', () => {
    fc.assert(
      fc.property(binaryText, (value) => {
        const r = parseFrom(value);
        if (!r.ok) {
          expect(r.code).toBe('MalformedFromHeader');
          expect(typeof r.detail).toBe('string');
        } else {
          expect(r.value.address).toBe(r.value.address.toLowerCase());
          expect(r.value.address).toBe(`${r.value.local}@${r.value.domain}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts a bare addr-spec with optional CFWS and returns it lowercased', () => {
    fc.assert(
      fc.property(addrSpec, cfws, cfws, cfws, cfws, fc.nat(), (a, c1, c2, c3, c4, seed) => {
        const local = mixCase(a.local, seed, 16);
        const dom = mixCase(a.domain, seed >> 3, 16);
        const r = parseFrom(`${c1} ${local}${c2}@${c3}${dom} ${c4}`);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.value.address).toBe(`${a.local}@${a.domain}`.toLowerCase());
          expect(r.value.domain).toBe(a.domain.toLowerCase());
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts display-name <addr-spec> (atoms or quoted strings, commas inside quotes) with comments', () => {
    fc.assert(
      fc.property(
        fc.option(displayName, { nil: null }),
        addrSpec,
        cfws,
        cfws,
        cfws,
        sep,
        fc.nat(),
        (name, a, c1, c2, c3, s, seed) => {
          const addr = `${mixCase(a.local, seed, 16)}@${mixCase(a.domain, seed >> 5, 16)}`;
          const value = `${c1}${s}${name ?? ''}${s}${c2}<${addr}>${s}${c3}`;
          const r = parseFrom(value);
          expect(r.ok, value).toBe(true);
          if (r.ok) expect(r.value.address).toBe(`${a.local}@${a.domain}`.toLowerCase());
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('accepts quoted display names containing specials such as commas, < and @', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(',', '<', '>', '@', ':', ';', '(', ')', '[', ']'),
        printable,
        addrSpec,
        (ch, s, a) => {
          const display = `"${(s + ch + s).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
          const r = parseFrom(` ${display} <${a.local}@${a.domain}>`);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.value.address).toBe(`${a.local}@${a.domain}`.toLowerCase());
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects an address list (unquoted comma between two mailboxes)', () => {
    fc.assert(
      fc.property(
        fc.option(displayName, { nil: null }),
        addrSpec,
        fc.option(displayName, { nil: null }),
        addrSpec,
        sep,
        (n1, a1, n2, a2, s) => {
          const one = (n: string | null, a: { local: string; domain: string }) =>
            mailbox(n, `${a.local}@${a.domain}`);
          expectMalformedFrom(` ${one(n1, a1)},${s}${one(n2, a2)}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects group syntax', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(atom, { minLength: 1, maxLength: 2 }).map((w) => w.join(' ')),
          quoted,
        ),
        fc.array(addrSpec, { maxLength: 2 }),
        sep,
        (name, members, s) => {
          const list = members.map((a) => `${a.local}@${a.domain}`).join(`,${s}`);
          expectMalformedFrom(` ${name}:${s}${list};`);
        },
      ),
      { numRuns: 500 },
    );
  });

  const literal = fc.oneof(
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => `[${o.join('.')}]`),
    fc.constantFrom('[IPv6:2001:db8::1]', '[]', '[example.com]'),
  );
  it.each([
    ['a quoted local part', quoted, domain],
    ['a domain literal', dotAtom, literal],
  ])('rejects %s', (_what, localPart, domainPart) => {
    fc.assert(
      fc.property(localPart, domainPart, fc.option(displayName, { nil: null }), (local, dom, name) => {
        expectMalformedFrom(` ${mailbox(name, `${local}@${dom}`)}`);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects an obsolete route and CR/LF left after unfolding', () => {
    fc.assert(
      fc.property(
        addrSpec,
        domain,
        fc.constantFrom('\r', '\n', '\r\n', '\r\nX'),
        fc.nat(),
        (a, route, brk, pos) => {
          expect(parseFrom(` <@${route}:${a.local}@${a.domain}>`).ok).toBe(false);
          const value = ` ${a.local}@${a.domain}`;
          const at = 1 + (pos % value.length);
          expect(parseFrom(value.slice(0, at) + brk + value.slice(at)).ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
