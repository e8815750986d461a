/**
 * The `waxseal` command: dispatches subcommands and turns every input problem into one line on stderr with
 * exit status 2 (protocol.md §10). Only genuine bugs escape as stack traces.
 */
import { join, relative } from 'node:path';
import { UsageError } from './errors.ts';
import {
  DEVNET_USAGE,
  DNSSEC_USAGE,
  DOMAIN_USAGE,
  GATEWAY_USAGE,
  SEND_TEST_MAIL_USAGE,
  VERIFY_EMAIL_USAGE,
} from './usage.ts';

/** Each command's usage, which `waxseal <command> --help` prints. */
const COMMAND_USAGE: Record<string, string> = {
  'verify-email': VERIFY_EMAIL_USAGE,
  domain: DOMAIN_USAGE,
  dnssec: DNSSEC_USAGE,
  devnet: DEVNET_USAGE,
  gateway: GATEWAY_USAGE,
  'send-test-mail': SEND_TEST_MAIL_USAGE,
};

const USAGE = `usage:
  ${Object.values(COMMAND_USAGE).join('\n  ')}
  waxseal demo        verify the bundled RFC 8463 example message and explain the result`;

async function demo(): Promise<{ out: string; code: number }> {
  const dir = relative(
    process.cwd(),
    join(import.meta.dirname, '..', '..', 'test-vectors', 'examples', 'rfc8463'),
  );
  const args = [join(dir, 'message.eml'), '--dns', join(dir, 'dns.json'), '--now', '1528637909'];
  const result = await (await import('./verify-email.ts')).verifyEmailCommand(args);
  const intro = `$ waxseal verify-email ${args.join(' ')}\n`;
  const outro =
    '\nThis is the RFC 8463 example: one Ed25519 and one RSA signature by football.example.com, both verified;\n' +
    'the From domain equals d=, so Waxseal would accept it. Try editing the message to see a check fail.';
  return { out: intro + result.out + outro, code: result.code };
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const commandUsage = command === undefined ? undefined : COMMAND_USAGE[command];
  if (commandUsage !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`usage:\n  ${commandUsage}\n`);
    return 0;
  }
  try {
    let result: { out: string; code: number };
    if (command === 'verify-email')
      result = await (await import('./verify-email.ts')).verifyEmailCommand(rest);
    else if (command === 'domain') result = await (await import('./domain.ts')).domainCommand(rest);
    else if (command === 'dnssec') result = await (await import('./dnssec.ts')).dnssecCommand(rest);
    else if (command === 'devnet') result = await (await import('./devnet.ts')).devnetCommand(rest);
    else if (command === 'gateway') result = await (await import('./gateway.ts')).gatewayCommand(rest);
    else if (command === 'send-test-mail')
      result = await (await import('./send-test-mail.ts')).sendTestMailCommand(rest);
    else if (command === 'demo') result = await demo();
    else if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    } else throw new UsageError(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
    if (result.out !== '') process.stdout.write(`${result.out}\n`);
    return result.code;
  } catch (e) {
    // parseArgs reports unknown or malformed options with these codes.
    const code = (e as { code?: string }).code;
    if (e instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`waxseal: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}
