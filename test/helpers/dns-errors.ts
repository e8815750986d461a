/** Assertions on DnsFormatError, the one error src/dns may throw on bad input. */
import { expect } from 'vitest';
import { DnsFormatError } from '../../src/dns/errors.ts';

/** Runs `f`; a DnsFormatError counts as a clean rejection, anything else escapes to fail the property. */
export function returnsOrRejects<T>(f: () => T): T | DnsFormatError {
  try {
    return f();
  } catch (e) {
    if (e instanceof DnsFormatError) {
      expect(e.code).toBe('Malformed');
      return e;
    }
    throw e;
  }
}

/** `f` throws a DnsFormatError, which is returned for checks on its message. */
export function expectMalformed(f: () => unknown): DnsFormatError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DnsFormatError);
  return caught as DnsFormatError;
}
