/** One usage line per `waxseal` command, kept apart from the commands so that `--help` loads none of them. */

export const VERIFY_EMAIL_USAGE = [
  'waxseal verify-email <message.eml> --dns <dns.json> [--now <unix-seconds>] [--json]',
  'waxseal verify-email <message.eml> --doh <url> [--doh <url> …] [--config <config.json>] [--anchors <file>] [--now <unix-seconds>] [--json]',
].join('\n  ');

export const DOMAIN_USAGE =
  'waxseal domain <domain> --doh <url> [--doh <url> …] [--config <config.json>] [--anchors <file>] [--now <unix-seconds>] [--json]';

export const DNSSEC_USAGE = [
  'waxseal dnssec verify (--zone <records.zone> | --chain <file>) --name <owner> --type <type> [--anchors <file>] [--now <unix-seconds>] [--json]',
  'waxseal dnssec prove <name> <type> --doh <url> [--doh <url> …] [--post] [--timeout <ms>] [--out <file>] [--anchors <file>] [--now <unix-seconds>] [--json]',
].join('\n  ');

export const DEVNET_USAGE =
  'waxseal devnet [--port 4943] [--data .waxseal/devnet] [--clean] [--fsync] [--config <config.json>] [--wasm <file>]';

export const GATEWAY_USAGE = 'waxseal gateway --config <gateway.toml> [--print-principal]';

export const SEND_TEST_MAIL_USAGE =
  'waxseal send-test-mail --from <addr> --to <mailbox> --subject <text> [--server 127.0.0.1:2525] [--selector sel] [--body <text>] [--keys <dir>] [--sign-headers from,to,subject,…] [--tls-insecure]';
