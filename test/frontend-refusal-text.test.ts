/** The canister's refusals in plain words (frontend/src/logic/refusal-text.ts; issue 11, deliverable 3). */
import { describe, expect, it } from 'vitest';
import { REFUSAL_TEXT, refusalText } from '../frontend/src/logic/refusal-text.ts';

describe('refusalText', () => {
  it('explains the last-authenticator refusal and says nothing was removed', () => {
    expect(
      refusalText({ code: 'LastAuthenticator', message: 'the last authenticator cannot be removed' }),
    ).toBe(
      'Without a recovery email, Waxseal keeps the last passkey or device, so nothing was removed. Add a recovery email or another passkey first.',
    );
  });

  it('says an already removed passkey changed nothing', () => {
    expect(refusalText({ code: 'UnknownAuthenticator', message: 'x' })).toContain('Nothing was changed.');
  });

  it('keeps the canister sentence for a code it does not know', () => {
    expect(refusalText({ code: 'SomethingNew', message: 'a new rule said no' })).toBe(
      'Waxseal refused: a new rule said no.',
    );
  });

  it('never shows a code or the word "authenticator" to a person', () => {
    for (const [code, text] of Object.entries(REFUSAL_TEXT)) {
      expect(text).not.toContain(code);
      expect(text.toLowerCase()).not.toContain('authenticator');
      expect(text).toMatch(/^[A-Z].*\.$/);
    }
  });
});
