import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, LogTap, logTapOf } from '@cadre/logging';

const sink = () => new Writable({ write: (_chunk, _enc, done) => done() });

describe('log tap', () => {
  it('keeps the lines a logger writes, numbered, and still writes them to the destination', () => {
    const written: string[] = [];
    const destination = new Writable({ write: (chunk, _enc, done) => { written.push(String(chunk)); done(); } });
    const logger = createLogger({ service: 'runs', instance: 'runs-1', destination });
    logger.info({ runId: 'r1' }, 'first');
    logger.child({ step: 's' }).warn('second');
    const tap = logTapOf(logger)!;
    const lines = tap.tail(10).map((line) => ({ seq: line.seq, ...JSON.parse(line.raw) }));
    expect(lines).toMatchObject([
      { seq: 1, msg: 'first', runId: 'r1', level: 'info', instance: 'runs-1' },
      { seq: 2, msg: 'second', step: 's', level: 'warn' },
    ]);
    expect(written).toHaveLength(2);
  });

  it('is bounded in lines and bytes, oldest first out', () => {
    const tap = new LogTap({ maxLines: 3, maxBytes: 1_000 });
    for (let i = 1; i <= 5; i++) tap.write(`{"msg":"${i}"}\n`);
    expect(tap.tail(10).map((l) => l.seq)).toEqual([3, 4, 5]);
    const small = new LogTap({ maxLines: 100, maxBytes: 40 });
    for (let i = 1; i <= 5; i++) small.write(`{"msg":"line ${i}"}\n`);
    expect(small.tail(10).map((l) => l.seq)).toEqual([4, 5]);
    expect(small.lastSeq).toBe(5);
  });

  it('replaces an oversized line with a short one that says so', () => {
    const tap = new LogTap({ maxLineBytes: 100 });
    tap.write(`${JSON.stringify({ level: 'error', time: '2026-01-01T00:00:00.000Z', msg: 'huge', blob: 'x'.repeat(500) })}\n`);
    expect(JSON.parse(tap.tail(1)[0]!.raw)).toMatchObject({ level: 'error', msg: 'huge', truncated: true });
  });

  it('answers tails after a sequence and through a filter, and tells listeners of new lines', () => {
    const tap = new LogTap();
    const heard: number[] = [];
    const stop = tap.onLine((line) => heard.push(line.seq));
    for (let i = 1; i <= 6; i++) tap.write(`{"n":${i}}\n`);
    stop();
    tap.write('{"n":7}\n');
    expect(heard).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tap.tail(100, undefined, 4).map((l) => l.seq)).toEqual([5, 6, 7]);
    expect(tap.tail(2, (l) => JSON.parse(l.raw).n % 2 === 0).map((l) => l.seq)).toEqual([4, 6]);
  });

  it('keeps level routing of a multistream destination', () => {
    const warnOnly: string[] = [];
    const destination = pino.multistream([
      { level: 'warn', stream: new Writable({ write: (chunk, _enc, done) => { warnOnly.push(String(chunk)); done(); } }) },
      { level: 'info', stream: sink() },
    ]);
    const logger = createLogger({ service: 'gw', destination });
    logger.info('quiet');
    logger.error('loud');
    expect(warnOnly.map((l) => JSON.parse(l).msg)).toEqual(['loud']);
    expect(logTapOf(logger)!.tail(10)).toHaveLength(2);
  });
});
