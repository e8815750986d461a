/**
 * The output helpers the reporting commands share (`verify-email`, `verify-email --doh`, `domain`): JSON or text
 * from one flag, the mark of a check, and a chain status with its reason.
 */

/** The mark of a Check status in text output. */
export const CHECK_MARK = { Pass: '✓', Fail: '✗', Skipped: '·' } as const;

/** `status (reason): detail`, the reason left out when there is none. */
export function statusText(status: string, reason: string | null, detail: string): string {
  return `${status}${reason ? ` (${reason})` : ''}: ${detail}`;
}

/** `--json`: the JSON shape, pretty-printed; else the text lines. */
export function render(json: boolean, asJson: () => unknown, asText: () => string): string {
  return json ? JSON.stringify(asJson(), null, 2) : asText();
}
