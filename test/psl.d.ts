/** psl 1.15.0 ships types its package.json "exports" map hides from NodeNext resolution; the part the tests use. */
declare module 'psl' {
  /** The registrable domain of `domain` (ICANN and private sections), or null. */
  export function get(domain: string): string | null;
  const psl: { get: typeof get };
  export default psl;
}
