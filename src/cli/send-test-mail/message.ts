/** `waxseal send-test-mail`: the plain-text message it signs (RFC 5322 header fields, MIME text/plain). */

/** RFC 5322 §3.3 date-time in UTC, e.g. `Thu, 01 Jan 2026 00:00:00 +0000`. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export function composeMessage(m: {
  from: string;
  to: string;
  subject: string;
  body: string;
  date: Date;
  messageId: string;
}): Buffer {
  const eightBit = /[^\x00-\x7f]/.test(m.body);
  const header = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: ${m.subject}`,
    `Date: ${rfc5322Date(m.date)}`,
    `Message-ID: ${m.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${eightBit ? '8bit' : '7bit'}`,
  ];
  return Buffer.from(`${header.join('\r\n')}\r\n\r\n${m.body}`, 'utf8');
}
