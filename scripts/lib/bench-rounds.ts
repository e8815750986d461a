// Rounds of a same-process comparison (`npm run bench`, `npm run bench:dnssec`): each implementation runs back to
// back for a fixed time per round, rounds alternate between implementations, and the median round counts.
// Besides the wall rate, a round records the process CPU time per operation (process.cpuUsage, every thread, so
// WebCrypto's thread-pool work counts): other jobs on a shared machine cut the wall rate of whichever
// implementation they overlap, but change its CPU per operation far less, so the CPU ratio is the steadier one.

export interface Round {
  readonly perSecond: number;
  readonly cpuUsPerOp: number;
}

/** Runs `op` (the i-th call gets i) for `ms` milliseconds. */
export async function round(op: (i: number) => Promise<unknown>, ms: number): Promise<Round> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) await op(n++);
  const used = process.cpuUsage(cpu);
  return { perSecond: (n * 1000) / (performance.now() - start), cpuUsPerOp: (used.user + used.system) / n };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Warms every implementation up, then runs `rounds` alternating rounds; the median rate and CPU of each. */
export async function compare(
  impls: ReadonlyArray<readonly [name: string, op: (i: number) => Promise<unknown>]>,
  rounds: number,
  roundMs: number,
  warmUpMs: number,
): Promise<Map<string, Round>> {
  for (const [, op] of impls) await round(op, warmUpMs);
  const samples = new Map<string, Round[]>(impls.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++)
    for (const [name, op] of impls) samples.get(name)!.push(await round(op, roundMs));
  return new Map(
    [...samples].map(([name, rs]) => [
      name,
      { perSecond: median(rs.map((x) => x.perSecond)), cpuUsPerOp: median(rs.map((x) => x.cpuUsPerOp)) },
    ]),
  );
}

/** A row's figures against the peer's: wall rate, its ratio, CPU µs per operation and the CPU ratio. */
export function versus(mine: Round, peer: Round) {
  return {
    perSecond: Math.round(mine.perSecond),
    ratio: Number((mine.perSecond / peer.perSecond).toFixed(2)),
    cpuUsPerOp: Math.round(mine.cpuUsPerOp),
    cpuRatio: Number((peer.cpuUsPerOp / mine.cpuUsPerOp).toFixed(2)),
  };
}
