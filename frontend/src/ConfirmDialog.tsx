/**
 * A confirmation before anything that cannot be taken back (issue 11, deliverable 3): a modal <dialog> opened
 * with showModal, so the browser moves focus in, keeps it there, makes the rest of the page inert and closes on
 * Escape. Labelled by its title and described by its text; Cancel has focus first, so Enter never destroys
 * anything by accident; when it closes, focus goes back to the button that opened it. Cancelling changes
 * nothing: the caller acts only in `onConfirm`.
 */
import { type ReactNode, useEffect, useId, useRef } from 'react';

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  /** Names what confirming does ("Yes, remove it", or the consequence itself). */
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const id = useId();
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    const opener = document.activeElement;
    d.showModal();
    cancel.current?.focus();
    return () => {
      d.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={dialog}
      className="confirm"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onCancel={(e) => {
        e.preventDefault(); // Escape: let React unmount it, so focus goes back the same way as Cancel
        onCancel();
      }}
    >
      <h3 id={`${id}-title`}>{title}</h3>
      <div id={`${id}-body`}>{children}</div>
      <div className="actions">
        <button ref={cancel} type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
