/**
 * The globals Azle 0.33's stable runtime (QuickJS) provides beyond ES2022 (ic-notes.md §2.4). canister/ is
 * type-checked without the DOM and Node libraries, so `fetch`, `URL`, `Buffer`, `atob` and the like, which
 * are absent or throw inside the canister, are type errors.
 */
interface TextEncoder {
  encode(input?: string): Uint8Array;
}
declare var TextEncoder: { new (): TextEncoder };
interface TextDecoder {
  decode(input?: Uint8Array): string;
}
declare var TextDecoder: { new (label?: string, options?: { fatal?: boolean }): TextDecoder };
declare var console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
};
/** A CSPRNG that is deterministic until Azle's post-init `raw_rand` timer has reseeded it (see salt.ts). */
declare var crypto: { getRandomValues<T extends ArrayBufferView>(array: T): T };
declare function queueMicrotask(callback: () => void): void;
declare var process: { env: Record<string, string | undefined> };
/** @deprecated Throws in Azle stable mode; declared only because Azle's own sources mention it. Use `setTimer`. */
declare function setTimeout(callback: () => void, ms?: number): unknown;
