/**
 * The email address field of the setup and recovery forms. A text field, not type="email": the browser's own check
 * would differ from the canister's (logic/address-entry.ts) and would hide the A-label hint.
 */
import { useEffect, useRef } from 'react';

export function AddressInput({
  id,
  label,
  value,
  onChange,
  describedBy,
  focusOnMount = false,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  describedBy?: string | undefined;
  /** For a step opened by a button that then disappears: the keyboard lands in the field, not at the top. */
  focusOnMount?: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (focusOnMount) input.current?.focus();
  }, [focusOnMount]);
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        ref={input}
        id={id}
        type="text"
        inputMode="email"
        autoCapitalize="none"
        spellCheck={false}
        autoComplete="email"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={describedBy}
      />
    </>
  );
}
