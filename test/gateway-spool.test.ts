/**
 * The gateway spool (src/gateway/spool.ts) on real files: exact bytes, order, recovery on open (temp files
 * discarded, damaged files quarantined), concurrent puts, a writer killed with SIGKILL mid-stream, and a property
 * test of the file framing.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSpoolFile, encodeSpoolFile, Spool, SpoolError, type SpoolMeta } from '../src/gateway/spool.ts';
import { messageFor } from './fixtures/gateway-spool-writer.ts';
import { applyMutation, mutation } from './helpers/byte-mutations.ts';
import { tempDirs } from './helpers/temp-dirs.ts';

const tempDir = tempDirs('waxseal-spool-');

function meta(receivedAt: number, from = 'alice@example.org'): SpoolMeta {
  return {
    envelope: { mail_from: from, rcpt_to: ['register@example.com'] },
    clientIp: '192.0.2.7',
    receivedAt,
  };
}

function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SpoolError) return e.code;
    throw e;
  }
  return 'resolved';
}

function filesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name)
    .sort();
}

describe('put and read', () => {
  it('keeps the exact bytes: bare CR, bare LF, NUL, 8-bit, 64 KiB', async () => {
    const { spool } = await Spool.open(tempDir());
    const big = new Uint8Array(64 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
    big.set(bytes('From: a@example.org\r\nX: bare\rcr and bare\nlf\r\n\r\n'), 0);
    big[100] = 0;
    big[101] = 0xff;
    big[102] = 0x80;
    const entry = await spool.put(meta(1_000), big);
    expect(entry.size).toBe(64 * 1024);
    expect(entry.envelope.rcpt_to).toEqual(['register@example.com']);
    expect(entry.clientIp).toBe('192.0.2.7');
    const back = await spool.read(entry.id);
    expect(back).toEqual(big);
    expect(Buffer.compare(back, big)).toBe(0);
    expect(back.byteLength).toBe(back.buffer.byteLength);
  });

  it('stores an empty message', async () => {
    const { spool } = await Spool.open(tempDir());
    const entry = await spool.put(meta(1), new Uint8Array(0));
    expect(await spool.read(entry.id)).toEqual(new Uint8Array(0));
  });

  it('copies the meta: later changes to the caller’s object do not reach the index', async () => {
    const { spool } = await Spool.open(tempDir());
    const rcpt = ['register@example.com'];
    await spool.put(
      { envelope: { mail_from: 'a@b', rcpt_to: rcpt }, clientIp: '::1', receivedAt: 5 },
      bytes('x'),
    );
    rcpt.push('other@example.net');
    expect(spool.list()[0]!.envelope.rcpt_to).toEqual(['register@example.com']);
  });

  it('refuses a receivedAt that is not a time in ms', async () => {
    const { spool } = await Spool.open(tempDir());
    await expect(spool.put(meta(Number.NaN), bytes('x'))).rejects.toThrow(RangeError);
    await expect(spool.put(meta(-1), bytes('x'))).rejects.toThrow(RangeError);
    expect(spool.depth).toBe(0);
  });

  it('lists oldest first (receivedAt, then id) and reports depth and oldest age', async () => {
    const { spool } = await Spool.open(tempDir());
    expect(spool.oldestAgeMs(10_000)).toBe(0);
    const c = await spool.put(meta(3_000), bytes('c'));
    const a1 = await spool.put(meta(1_000), bytes('a1'));
    const b = await spool.put(meta(2_000), bytes('b'));
    const a2 = await spool.put(meta(1_000), bytes('a2'));
    expect(spool.list().map((e) => e.id)).toEqual([a1.id, a2.id, b.id, c.id]);
    expect(a1.id < a2.id).toBe(true);
    expect(spool.depth).toBe(4);
    expect(spool.oldestAgeMs(10_000)).toBe(9_000);
    expect(spool.oldestAgeMs(500)).toBe(0);
  });

  it('names files by a time-sortable id and leaves no temp file behind', async () => {
    const dir = tempDir();
    const { spool } = await Spool.open(dir);
    const entry = await spool.put(meta(0x0123456789a), bytes('x'));
    expect(entry.id).toMatch(/^00123456789a-[0-9a-f]{8}-[0-9a-f]{12}$/);
    expect(filesIn(dir)).toEqual([`${entry.id}.msg`]);
  });
});

describe('remove', () => {
  it('unlinks, is idempotent, and a removed message reads as Missing', async () => {
    const dir = tempDir();
    const { spool } = await Spool.open(dir);
    const keep = await spool.put(meta(1), bytes('keep'));
    const gone = await spool.put(meta(2), bytes('gone'));
    await spool.remove(gone.id);
    await spool.remove(gone.id);
    expect(spool.list().map((e) => e.id)).toEqual([keep.id]);
    expect(filesIn(dir)).toEqual([`${keep.id}.msg`]);
    expect(await codeOf(spool.read(gone.id))).toBe('Missing');
  });

  it('refuses anything that is not a spool id (no path ever reaches the file system)', async () => {
    const dir = tempDir();
    const { spool } = await Spool.open(dir);
    writeFileSync(join(dir, 'x.msg'), 'not ours to delete');
    expect(await codeOf(spool.read('../x'))).toBe('BadId');
    expect(await codeOf(spool.remove('x'))).toBe('BadId');
    expect(existsSync(join(dir, 'x.msg'))).toBe(true);
  });
});

describe('open: recovery', () => {
  it('a reopened spool has the same index and bytes', async () => {
    const dir = tempDir();
    const first = (await Spool.open(dir)).spool;
    const a = await first.put(meta(10, 'a@x'), bytes('A\r\n'));
    const b = await first.put(meta(20, 'b@x'), bytes('B\r\n'));
    const c = await first.put(meta(30, 'c@x'), bytes('C\r\n'));
    await first.remove(b.id);
    const { spool, recovery } = await Spool.open(dir);
    expect(recovery).toEqual({ entries: 2, discardedTemp: 0, quarantined: 0 });
    expect(spool.list()).toEqual([a, c]);
    expect(await spool.read(c.id)).toEqual(bytes('C\r\n'));
  });

  it('creates missing folders', async () => {
    const dir = join(tempDir(), 'a', 'b', 'spool');
    const { spool, recovery } = await Spool.open(dir);
    expect(recovery).toEqual({ entries: 0, discardedTemp: 0, quarantined: 0 });
    await spool.put(meta(1), bytes('x'));
    expect(filesIn(dir)).toHaveLength(1);
  });

  it('discards temp files (no 250 was sent for them) and leaves unrelated files alone', async () => {
    const dir = tempDir();
    const { spool: first } = await Spool.open(dir);
    const kept = await first.put(meta(1), bytes('kept'));
    const half = encodeSpoolFile(meta(2), bytes('half written'));
    writeFileSync(join(dir, '0000000000ff-00000001-000000000000.tmp'), half.subarray(0, 20));
    writeFileSync(join(dir, '0000000000ff-00000002-000000000000.tmp'), half);
    writeFileSync(join(dir, 'README'), 'operator notes');
    const { spool, recovery } = await Spool.open(dir);
    expect(recovery).toEqual({ entries: 1, discardedTemp: 2, quarantined: 0 });
    expect(spool.list().map((e) => e.id)).toEqual([kept.id]);
    expect(filesIn(dir)).toEqual([`${kept.id}.msg`, 'README']);
  });

  it('quarantines a truncated file and a flipped byte, never deleting them', async () => {
    const dir = tempDir();
    const { spool: first } = await Spool.open(dir);
    const good = await first.put(meta(1), bytes('good'));
    const truncated = await first.put(meta(2), bytes('truncated message body'));
    const flipped = await first.put(meta(3), bytes('flipped message body'));
    const tPath = join(dir, `${truncated.id}.msg`);
    const fPath = join(dir, `${flipped.id}.msg`);
    const tBytes = readFileSync(tPath).subarray(0, 30);
    const fBytes = readFileSync(fPath);
    fBytes[fBytes.length - 40]! ^= 0x01; // inside the message bytes
    writeFileSync(tPath, tBytes);
    writeFileSync(fPath, fBytes);
    writeFileSync(join(dir, 'junk.msg'), 'not a spool id');

    const { spool, recovery } = await Spool.open(dir);
    expect(recovery).toEqual({ entries: 1, discardedTemp: 0, quarantined: 3 });
    expect(spool.list().map((e) => e.id)).toEqual([good.id]);
    expect(filesIn(dir)).toEqual([`${good.id}.msg`]);
    const q = join(dir, 'quarantine');
    expect(filesIn(q)).toEqual([`${truncated.id}.msg`, `${flipped.id}.msg`, 'junk.msg'].sort());
    expect(readFileSync(join(q, `${truncated.id}.msg`))).toEqual(tBytes);
    expect(readFileSync(join(q, `${flipped.id}.msg`))).toEqual(fBytes);
  });

  it('read() of a file damaged after open throws Corrupt and quarantines it', async () => {
    const dir = tempDir();
    const { spool } = await Spool.open(dir);
    const entry = await spool.put(meta(1), bytes('soon damaged'));
    const path = join(dir, `${entry.id}.msg`);
    const file = readFileSync(path);
    file[file.length - 1]! ^= 0x80; // the hash
    writeFileSync(path, file);
    expect(await codeOf(spool.read(entry.id))).toBe('Corrupt');
    expect(spool.depth).toBe(0);
    expect(existsSync(path)).toBe(false);
    expect(readFileSync(join(dir, 'quarantine', `${entry.id}.msg`))).toEqual(file);
    expect(await codeOf(spool.read(entry.id))).toBe('Missing');
  });

  it('read() of a file deleted behind its back throws Missing and drops it from the index', async () => {
    const dir = tempDir();
    const { spool } = await Spool.open(dir);
    const entry = await spool.put(meta(1), bytes('x'));
    rmSync(join(dir, `${entry.id}.msg`));
    expect(await codeOf(spool.read(entry.id))).toBe('Missing');
    expect(spool.depth).toBe(0);
  });
});

describe('concurrency and crashes', () => {
  it('200 puts at once: all durable, distinct ids, exact bytes, no temp file left', async () => {
    const dir = tempDir();
    const { spool } = await Spool.open(dir);
    const messages = Array.from({ length: 200 }, (_, n) => messageFor(n));
    const entries = await Promise.all(messages.map((m, n) => spool.put(meta(1_000 + (n % 7), `s${n}@x`), m)));
    expect(new Set(entries.map((e) => e.id)).size).toBe(200);
    const reopened = (await Spool.open(dir)).spool;
    expect(reopened.depth).toBe(200);
    expect(filesIn(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    for (const [n, e] of entries.entries()) {
      expect(e.envelope.mail_from).toBe(`s${n}@x`);
      expect(await reopened.read(e.id)).toEqual(messages[n]);
    }
  });

  it('SIGKILL mid-stream: every message whose put resolved is there and intact, nothing half-written is listed', async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'gateway-spool-writer.ts'), dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.split('\n').length > 400) resolve();
      });
      child.once('exit', (code) => reject(new Error(`writer exited early (${code}):\n${err}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const acknowledged = out
      .split('\n')
      .slice(0, -1) // the last piece may be a partial line
      .map((line) => {
        const [id, n] = line.split(' ');
        return { id: id!, n: Number(n) };
      });
    expect(acknowledged.length).toBeGreaterThanOrEqual(400);
    const { spool, recovery } = await Spool.open(dir);
    expect(recovery.quarantined).toBe(0);
    expect(recovery.entries).toBeGreaterThanOrEqual(acknowledged.length);
    const listed = new Set(spool.list().map((e) => e.id));
    for (const { id, n } of acknowledged) {
      expect(listed.has(id)).toBe(true);
      expect(await spool.read(id)).toEqual(messageFor(n));
    }
    for (const e of spool.list()) expect((await spool.read(e.id)).length).toBe(e.size);
    expect(filesIn(dir).filter((f) => !f.endsWith('.msg'))).toEqual([]);
  });
});

describe('file framing (property)', () => {
  const metaArb = fc.record({
    envelope: fc.record({
      mail_from: fc.string({ unit: 'binary', maxLength: 40 }),
      rcpt_to: fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 3 }),
    }),
    clientIp: fc.string({ maxLength: 40 }),
    receivedAt: fc.nat(),
  });
  const messageArb = fc.uint8Array({ maxLength: 300 });

  function onlySpoolErrors(file: Uint8Array): { meta: SpoolMeta; message: Uint8Array } | null {
    try {
      return decodeSpoolFile(file);
    } catch (e) {
      expect(e).toBeInstanceOf(SpoolError);
      expect((e as SpoolError).code).toBe('Corrupt');
      return null;
    }
  }

  it('round-trips any meta and message', () => {
    fc.assert(
      fc.property(metaArb, messageArb, (m, message) => {
        expect(decodeSpoolFile(encodeSpoolFile(m, message))).toEqual({ meta: m, message });
      }),
    );
  });

  it('a mutated file either throws Corrupt or is the unchanged file', () => {
    fc.assert(
      fc.property(metaArb, messageArb, mutation, (m, message, mut) => {
        const file = encodeSpoolFile(m, message);
        const damaged = applyMutation(file, mut);
        const got = onlySpoolErrors(damaged);
        if (got) {
          expect(damaged).toEqual(file);
          expect(got.message).toEqual(message);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes, framed or not, only ever throw Corrupt', () => {
    const framed = fc
      .tuple(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.boolean())
      .map(([json, message, hashed]) => {
        const out = new Uint8Array(12 + json.length + message.length + 32);
        out.set(bytes('WXS1'));
        new DataView(out.buffer).setUint32(4, json.length);
        new DataView(out.buffer).setUint32(8, message.length);
        out.set(json, 12);
        out.set(message, 12 + json.length);
        const body = out.length - 32;
        if (hashed) out.set(createHash('sha256').update(out.subarray(0, body)).digest(), body);
        return out;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), framed), (file) => {
        expect(onlySpoolErrors(file)).toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});
