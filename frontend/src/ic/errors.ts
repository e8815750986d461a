/**
 * What went wrong talking to Waxseal, in words for a person: never a stack trace. The agent's transport errors
 * carry the whole fetch stack in their message, so only the kind of failure is kept.
 */
import { EnvError } from './env.ts';

export function describeError(e: unknown, host?: string): string {
  if (e instanceof EnvError) return `this page is not set up correctly (${e.message}).`;
  const text = e instanceof Error ? e.message : String(e);
  if (/Failed to fetch|fetch failed|NetworkError|ECONNREFUSED/i.test(text)) {
    return `${host ?? 'the Waxseal service'} did not answer. Check your connection, then try again.`;
  }
  const first = text.split('\n')[0]!.replace(/\s+at\s.*$/, '');
  return first.length > 200 ? `${first.slice(0, 200)}…` : first;
}
