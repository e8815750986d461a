/**
 * A button that waits while something runs: marked `aria-disabled` and inert to clicks and Enter, but still
 * focusable. A `disabled` button drops the keyboard focus to the page's body (WCAG 2.4.3), and the person would
 * start again from the top when it comes back; this one keeps it, so a confirmation dialog can hand the focus back
 * to it and an error can be read from where the person was.
 */
import type { ComponentProps } from 'react';

export function BusyButton({
  busy,
  onClick,
  type = 'button',
  ...rest
}: ComponentProps<'button'> & { busy: boolean }) {
  return (
    <button
      {...rest}
      type={type}
      aria-disabled={busy || undefined}
      onClick={(e) => {
        if (busy) e.preventDefault();
        else onClick?.(e);
      }}
    />
  );
}
