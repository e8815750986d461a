// The devnet's HTTP front: the Internet Computer's HTTPS interface on loopback (IC interface specification,
// "HTTPS interface": status, call v2/v3/v4, query v2/v3, read_state v2/v3; design note
// ic-endpoint-and-signin.md part A), so that an unmodified HttpAgent with `shouldFetchRootKey: true` and its
// default checks (certificates, query signatures, subnet node keys) works against it, from Node or a browser.
//
// Every request is authenticated before the canister sees it (authenticate.ts); each refusal is a 4xx with one
// plain-text sentence. CORS is open: the endpoint is loopback-only and carries no cookies.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Principal } from '@icp-sdk/core/principal';
import { bytesEqual, toHex } from '../encoding/bytes.ts';
import { type CborValue, encodeCborSelfDescribed } from '../identity/cbor.ts';
import type { Label } from '../identity/hash-tree.ts';
import { type AuthenticatedRequest, authenticate, type Endpoint } from './authenticate.ts';
import type { Devnet } from './devnet.ts';
import { homePage } from './home-page.ts';
import type { RequestStatus } from './state-tree.ts';

/** The IC's ingress message limit (2 MiB); a larger body is refused before it is read to the end. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
const IMPL_VERSION = 'waxseal-devnet/1';

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'Content-Type, Authorization',
  'access-control-max-age': '600',
} as const;

/** A refusal: HTTP status and the one sentence the client sees. */
class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Route =
  | { kind: 'status' }
  | { kind: 'stats' }
  | { kind: 'home' }
  | { kind: 'canister'; version: 2 | 3 | 4; endpoint: Endpoint; id: string }
  | { kind: 'subnet'; version: 2 | 3; id: string };

const ROUTES: readonly { pattern: RegExp; route: (m: RegExpMatchArray) => Route | undefined }[] = [
  { pattern: /^\/api\/v2\/status$/, route: () => ({ kind: 'status' }) },
  { pattern: /^\/_devnet\/stats$/, route: () => ({ kind: 'stats' }) },
  { pattern: /^\/$/, route: () => ({ kind: 'home' }) },
  {
    pattern: /^\/api\/v([234])\/canister\/([^/]+)\/(call|query|read_state)$/,
    route: (m) => {
      const version = Number(m[1]) as 2 | 3 | 4;
      const endpoint = m[3] as Endpoint;
      // v4 exists only for calls; HttpAgent never sends v3 call or v4 query/read_state, but v2 and v3 exist.
      if (version === 4 && endpoint !== 'call') return undefined;
      return { kind: 'canister', version, endpoint, id: m[2] as string };
    },
  },
  {
    pattern: /^\/api\/v([23])\/subnet\/([^/]+)\/read_state$/,
    route: (m) => ({ kind: 'subnet', version: Number(m[1]) as 2 | 3, id: m[2] as string }),
  },
];

function matchRoute(path: string): Route | undefined {
  for (const { pattern, route } of ROUTES) {
    const m = path.match(pattern);
    if (m) return route(m);
  }
  return undefined;
}

function parsePrincipal(text: string, what: string): Principal {
  try {
    return Principal.fromText(decodeURIComponent(text));
  } catch {
    throw new HttpRefusal(400, `${what} ${JSON.stringify(text)} is not a valid principal`);
  }
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    throw new HttpRefusal(
      413,
      `Request body of ${declared} bytes exceeds the ${MAX_BODY_BYTES}-byte ingress limit`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpRefusal(413, `Request body exceeds the ${MAX_BODY_BYTES}-byte ingress limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export interface DevnetServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  port?: number;
  log?: (line: string) => void;
}

/** Serves `devnet` on 127.0.0.1 (port 0 picks a free one). */
export async function serveDevnet(devnet: Devnet, options: ServerOptions = {}): Promise<DevnetServer> {
  const log = options.log ?? (() => {});
  const handler = new Handler(devnet);
  const server = createServer((req, res) => {
    handler.handle(req, res).catch((e: unknown) => {
      // Only a bug gets here: answer 500 with the message and keep serving.
      log(`devnet: internal error on ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
      send(res, 500, 'text/plain', `Internal error: ${(e as Error)?.message ?? String(e)}`);
    });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: Uint8Array | string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const bytes = typeof body === 'string' ? Buffer.from(`${body}\n`, 'utf8') : Buffer.from(body);
  res.writeHead(status, { ...CORS_HEADERS, 'content-type': type, 'content-length': bytes.length });
  res.end(bytes);
}

const sendCbor = (res: ServerResponse, status: number, value: CborValue) =>
  send(res, status, 'application/cbor', encodeCborSelfDescribed(value));

class Handler {
  /** Wall time from the first byte read to the response written, summed over requests (for /_devnet/stats). */
  handlerMs = 0;
  requests = 0;

  constructor(private readonly devnet: Devnet) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    try {
      await this.route(req, res);
      this.handlerMs += performance.now() - started;
      this.requests++;
    } catch (e) {
      if (!(e instanceof HttpRefusal)) throw e;
      // A refused upload may still be streaming in: stop reading it, and close the connection after the
      // answer (RFC 9112 §9.6). Kept alive, its unread body would stall the next request the client sends on it.
      if (!req.complete) res.setHeader('connection', 'close');
      send(res, e.status, 'text/plain; charset=utf-8', e.message);
      if (!req.complete) req.destroy();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = matchRoute(path);
    if (req.method === 'OPTIONS') {
      if (!route) throw new HttpRefusal(404, `No such endpoint: ${path}`);
      res.writeHead(204, CORS_HEADERS);
      res.end();
      return;
    }
    if (!route) throw new HttpRefusal(404, `No such endpoint: ${path}`);
    const method =
      route.kind === 'status' || route.kind === 'stats' || route.kind === 'home' ? 'GET' : 'POST';
    if (req.method !== method) {
      res.setHeader('allow', `${method}, OPTIONS`);
      throw new HttpRefusal(405, `${req.method} is not allowed on ${path}; use ${method}`);
    }
    if (route.kind === 'home') {
      send(res, 200, 'text/html; charset=utf-8', homePage(this.devnet, req.headers.host ?? ''));
      return;
    }
    if (route.kind === 'stats') {
      // Not part of the IC interface: counters for benchmarks (bench:devnet) and operators.
      const { devnet } = this;
      send(
        res,
        200,
        'application/json',
        JSON.stringify({
          ...devnet.timing,
          handlerMs: this.handlerMs,
          requests: this.requests,
          rounds: devnet.rounds,
          callsExecuted: devnet.callsExecuted,
          queuedCalls: devnet.queuedCalls,
        }),
      );
      return;
    }
    if (route.kind === 'status') {
      sendCbor(res, 200, {
        impl_version: IMPL_VERSION,
        replica_health_status: 'healthy',
        root_key: this.devnet.rootKey,
      });
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/cbor') {
      throw new HttpRefusal(415, `Content-Type must be application/cbor, not ${JSON.stringify(type ?? '')}`);
    }
    const body = await readBody(req);
    if (route.kind === 'subnet') {
      const subnet = parsePrincipal(route.id, 'Subnet id');
      if (!bytesEqual(subnet.toUint8Array(), this.devnet.subnet.subnetId)) {
        throw new HttpRefusal(404, `Subnet ${subnet.toText()} is not this devnet's subnet`);
      }
      const request = await this.authenticated(body, 'read_state', null);
      this.readState(res, request, null);
      return;
    }
    const ecid = parsePrincipal(route.id, 'Effective canister id');
    const ours = bytesEqual(ecid.toUint8Array(), this.devnet.canisterId.toUint8Array());
    if (route.endpoint !== 'read_state' && !ours) {
      throw new HttpRefusal(404, `Canister ${ecid.toText()} does not exist on this devnet`);
    }
    if (route.endpoint === 'read_state') {
      this.readState(
        res,
        await this.authenticated(body, 'read_state', ecid.toUint8Array()),
        ecid.toUint8Array(),
      );
    } else if (route.endpoint === 'query') {
      await this.query(res, await this.authenticated(body, 'query', ecid.toUint8Array()));
    } else {
      await this.call(res, await this.authenticated(body, 'call', ecid.toUint8Array()), route.version === 2);
    }
  }

  private async authenticated<E extends Endpoint>(
    body: Uint8Array,
    endpoint: E,
    ecid: Uint8Array | null,
  ): Promise<Extract<AuthenticatedRequest, { kind: E }>> {
    const result = await authenticate(body, endpoint, ecid, {
      nowNs: this.devnet.wallTime(),
      rootKey: this.devnet.rootKey,
    });
    if (!result.ok) throw new HttpRefusal(result.status, result.message);
    return result.request;
  }

  private async call(
    res: ServerResponse,
    request: Extract<AuthenticatedRequest, { kind: 'call' }>,
    asynchronous: boolean,
  ): Promise<void> {
    // A replay of a call still in flight joins it (and is answered once that is durable); a replay of an answered
    // call gets the recorded status.
    const known = this.devnet.isQueued(request.requestId) ? undefined : this.devnet.status(request.requestId);
    if (known) {
      // A replay: never executed again. The synchronous endpoints show the recorded status.
      if (asynchronous) send(res, 202, 'text/plain', '');
      else this.certifiedStatus(res, known);
      return;
    }
    const answer = this.devnet.submit(request);
    if (!answer) {
      throw new HttpRefusal(429, 'The devnet is busy: its queue of update calls is full. Retry in a moment.');
    }
    if (asynchronous) {
      answer.catch(() => {}); // the outcome is read back with read_state
      send(res, 202, 'text/plain', '');
      return;
    }
    let certificate: Uint8Array;
    try {
      ({ certificate } = await answer);
    } catch (e) {
      throw new HttpRefusal(503, `The call could not be committed: ${(e as Error).message}`);
    }
    sendCbor(res, 200, { status: 'replied', certificate });
  }

  private certifiedStatus(res: ServerResponse, status: RequestStatus): void {
    const certificate = this.devnet.certify([['request_status', status.id]], [status]);
    sendCbor(res, 200, { status: 'replied', certificate });
  }

  private async query(
    res: ServerResponse,
    request: Extract<AuthenticatedRequest, { kind: 'query' }>,
  ): Promise<void> {
    const { outcome, signature } = await this.devnet.query(request);
    const signatures = [
      { timestamp: signature.timestamp, signature: signature.signature, identity: signature.identity },
    ];
    if (outcome.status === 'replied') {
      sendCbor(res, 200, { status: 'replied', reply: { arg: outcome.reply }, signatures });
    } else {
      sendCbor(res, 200, {
        status: 'rejected',
        reject_code: outcome.rejectCode,
        reject_message: outcome.rejectMessage,
        error_code: outcome.errorCode,
        signatures,
      });
    }
  }

  /**
   * read_state (spec "Request: Read state"): `time`, `subnet`, `canister_ranges`, `request_status/<id>` (only the
   * request's own sender may read it, and only when its canister is within the reader's delegation targets) and
   * `canister/<effective canister id>/…`.
   */
  private readState(
    res: ServerResponse,
    request: Extract<AuthenticatedRequest, { kind: 'read_state' }>,
    ecid: Uint8Array | null,
  ): void {
    const statuses: RequestStatus[] = [];
    for (const path of request.paths) {
      const [first, second] = path;
      const head = first ? new TextDecoder().decode(first) : '';
      if (head === 'time' || head === 'subnet' || head === 'canister_ranges') continue;
      if (head === 'request_status' && ecid && second) {
        const status = this.devnet.status(second);
        if (!status) continue;
        if (!bytesEqual(status.sender, request.sender)) {
          throw new HttpRefusal(
            403,
            `Request ${toHex(second)} was sent by another principal; only its sender may read its status`,
          );
        }
        if (request.targets && !request.targets.some((t) => bytesEqual(t, status.canisterId))) {
          throw new HttpRefusal(
            403,
            `Request ${toHex(second)} is for a canister outside this delegation's targets`,
          );
        }
        statuses.push(status);
        continue;
      }
      if (head === 'canister' && ecid && second) {
        if (!bytesEqual(second, ecid)) {
          throw new HttpRefusal(400, 'A canister path must name the effective canister id of the request');
        }
        continue;
      }
      throw new HttpRefusal(400, `Path /${head} cannot be read here`);
    }
    const paths: Label[][] = request.paths.map((p) => [...p]);
    sendCbor(res, 200, { certificate: this.devnet.certify(paths, statuses) });
  }
}
