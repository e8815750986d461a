/**
 * What happened to the identity (protocol.md §2 audit log; issue 11, deliverable 3): newest first, each entry in
 * words (logic/audit-log.ts), with its date and time in the browser's locale and who did it.
 */
import type { AuditEntry } from '../../canister/declarations/waxseal.did.ts';
import { auditLines, type Recognised, whoText } from './logic/audit-log.ts';

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function AuditLog({ log, recognised }: { log: readonly AuditEntry[]; recognised: Recognised }) {
  const lines = auditLines(log, recognised);
  return (
    <section aria-labelledby="audit-title">
      <h3 id="audit-title">Activity</h3>
      <p className="hint">Newest first. “You” means anyone signed in to this identity, on any device.</p>
      <ol className="audit">
        {lines.map((l) => (
          <li key={l.key}>
            <span className="audit-kind" data-testid="audit-kind">
              {l.text}
            </span>{' '}
            <span className="audit-meta">
              <time dateTime={l.at.toISOString()}>{when.format(l.at)}</time>, {whoText(l.who)}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
