/** `waxseal send-test-mail`: a failure after the arguments were accepted, told in one line on stderr (exit 1). */

export class SendError extends Error {
  override readonly name = 'SendError';
}

/** Folds a multi-line text (a server reply, a child's stderr) into one line. */
export const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
