import type { ServerResponse } from 'node:http';
import type { Bus, Subscription } from '@cadre/bus';
import {
  adminSubjects, CadreError, levelAtLeast, LogBatch, logTail, MAX_TAIL, NotFoundError, ValidationError,
  type ContainerLogsQuery, type LogLine, type LogTailReply, type LogTailRequest,
} from '@cadre/proto';
import { call, type InstanceRegistry } from '@cadre/runtime';
import type { LocalHandler } from '../http/router';
import { sseFrame } from '../sse/message';

export interface LogStreamOptions {
  readonly bus: Bus;
  readonly registry: InstanceRegistry;
  readonly timeoutMs: number;
  readonly heartbeatMs: number;
  /** Unsent bytes held for a client before it is dropped. */
  readonly bufferLimit: number;
  /** Follow lease asked of the instance; renewed at a third of it. */
  readonly leaseMs?: number;
}

export interface LogStreams {
  readonly handler: LocalHandler;
  /** Open streams now. */
  count(): number;
  /** Ends every stream (shutdown). */
  closeAll(): void;
}

const SEQUENCE = /^\d{1,15}$/;

/**
 * `GET /v1/admin/containers/{id}/logs`: asks the instance for its tail (and a follow lease)
 * over the bus. `?follow=false` answers it as JSON; otherwise an SSE stream — the tail, then
 * the instance's live lines (`logs.<id>`), each `id:` its sequence, so `Last-Event-ID` resumes
 * without a gap or a repeat while the instance still keeps the lines.
 */
export function containerLogStreams(options: LogStreamOptions): LogStreams {
  const leaseMs = options.leaseMs ?? 30_000;
  const open = new Set<(reason?: string) => void>();

  const ask = async (id: string, request: LogTailRequest): Promise<LogTailReply> => {
    try {
      return await call(options.bus, logTail(id), request, { timeoutMs: options.timeoutMs });
    } catch (error) {
      // Nobody answers for an id no heartbeat named: no such container (otherwise the bus is at fault).
      if (error instanceof CadreError && error.kind === 'unavailable' && !options.registry.get(id)) {
        throw new NotFoundError('No such container', { id });
      }
      throw error;
    }
  };

  const handler: LocalHandler = async (req, res, input) => {
    const id = String(input.params.id);
    const query = input.query as ContainerLogsQuery;
    if (query.follow === 'false') {
      const reply = await ask(id, { tail: query.tail, ...(query.level ? { level: query.level } : {}) });
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json(reply);
      return;
    }
    if (req.method === 'HEAD') {
      res.status(200).type('text/event-stream').end();
      return;
    }
    const header = req.get('last-event-id')?.trim();
    if (header !== undefined && header !== '' && !SEQUENCE.test(header)) {
      throw new ValidationError('Validation failed', [{ path: 'headers.last-event-id', message: 'expected a log line sequence number' }]);
    }
    const resumeAfter = header ? Number(header) : undefined;
    const level = query.level;
    const keep = (line: LogLine) => level === undefined || levelAtLeast(line.level, level);

    // Live lines first (kept aside), then the tail: nothing falls between the two.
    let cursor = Number.POSITIVE_INFINITY;
    let held: LogLine[] | undefined = [];
    let write: (line: LogLine) => void = () => undefined;
    const live: Subscription = options.bus.ephemeral.subscribe(adminSubjects.live(id), (message) => {
      const batch = LogBatch.safeParse(message.json());
      if (!batch.success) return;
      if (held) held.push(...batch.data.lines);
      else for (const line of batch.data.lines) write(line);
    });
    let reply: LogTailReply;
    try {
      reply = await ask(id, {
        tail: resumeAfter === undefined ? query.tail : MAX_TAIL,
        ...(level ? { level } : {}),
        ...(resumeAfter !== undefined ? { after_seq: resumeAfter } : {}),
        follow_ms: leaseMs,
      });
    } catch (error) {
      await live.stop();
      throw error;
    }
    const socket = res.socket;
    if (!socket || socket.destroyed) {
      await live.stop();
      return;
    }
    socket.setTimeout(0);
    socket.setNoDelay(true);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n\n');

    let closed = false;
    let heartbeat: NodeJS.Timeout | undefined = undefined;
    let renew: NodeJS.Timeout | undefined = undefined;
    const close = (reason?: string) => {
      if (closed) return;
      closed = true;
      open.delete(close);
      clearInterval(heartbeat);
      clearInterval(renew);
      void live.stop();
      if (reason !== undefined && !res.writableEnded) {
        res.write(`: closed (${reason})\n\n`);
        res.end();
      }
    };
    open.add(close);
    res.once('close', () => close());

    const send = (frame: string) => {
      if (closed) return;
      if ((res as ServerResponse).writableLength + frame.length > options.bufferLimit) {
        close();
        res.destroy();
        return;
      }
      res.write(frame);
    };
    write = (line) => {
      if (line.seq <= cursor) return;
      cursor = line.seq;
      if (keep(line)) send(sseFrame(line.seq, 'log', JSON.stringify(line)));
    };
    cursor = resumeAfter ?? 0;
    for (const line of reply.lines) write(line);
    // Everything up to last_seq was in the tail's reach; the live side starts after it.
    cursor = Math.max(cursor, reply.last_seq);
    const kept = held;
    held = undefined;
    for (const line of kept) write(line);

    heartbeat = setInterval(() => send(':\n\n'), options.heartbeatMs);
    heartbeat.unref();
    let failures = 0;
    renew = setInterval(() => {
      call(options.bus, logTail(id), { tail: 0, follow_ms: leaseMs }, { timeoutMs: options.timeoutMs })
        .then(() => (failures = 0))
        .catch(() => {
          // Two misses in a row: the instance is gone (a restarted one has a new id).
          if (++failures >= 2) close('instance gone');
        });
    }, Math.max(10, Math.floor(leaseMs / 3)));
    renew.unref();
    if (closed) close();
  };

  return {
    handler,
    count: () => open.size,
    closeAll: () => {
      for (const close of [...open]) close('shutdown');
    },
  };
}
