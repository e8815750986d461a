/**
 * Header occurrence rules of RFC 5322 §3.6 as protocol.md §4 enforces them: a second `From:` or `Subject:`
 * is how a signed message gets a different visible meaning, so counts are checked before anything is read.
 */
import type { Message } from './message.ts';

const EXACTLY_ONCE = ['from', 'date'];
const AT_MOST_ONCE = ['sender', 'reply-to', 'to', 'cc', 'subject', 'message-id', 'in-reply-to', 'references'];

export interface OccurrenceProblem {
  /** `MalformedFromHeader` for From (protocol §6), `HeaderOccurrence` for the others. */
  readonly code: 'MalformedFromHeader' | 'HeaderOccurrence';
  readonly detail: string;
}

/** Returns the first violated rule, From first, or null when the counts are valid. */
export function checkOccurrences(message: Message): OccurrenceProblem | null {
  const counts = new Map<string, number>();
  for (const h of message.headers) counts.set(h.key, (counts.get(h.key) ?? 0) + 1);
  for (const name of EXACTLY_ONCE) {
    const n = counts.get(name) ?? 0;
    if (n !== 1) {
      return {
        code: name === 'from' ? 'MalformedFromHeader' : 'HeaderOccurrence',
        detail: `${name} appears ${n} times; it must appear exactly once`,
      };
    }
  }
  for (const name of AT_MOST_ONCE) {
    const n = counts.get(name) ?? 0;
    if (n > 1)
      return { code: 'HeaderOccurrence', detail: `${name} appears ${n} times; at most once is allowed` };
  }
  return null;
}
