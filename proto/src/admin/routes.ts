import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../http/route';
import { ContainerList, LogLevel, LogTailReply, MAX_TAIL } from './containers';
import { DeadLetterDetail, DeadLetterList, DeadLetterParams, DeadLettersQuery } from './dead-letters';

// Admin routes the gateway answers itself (seed 002, "Admin"): the running instances, from
// their heartbeats, and one instance's log lines, served by the instance over the bus; and the
// dead letters the bus keeps.

const ContainerParam = z.object({ id: z.string().min(1).max(300) });

export const ContainerLogsQuery = z.object({
  tail: z.coerce.number().int().min(0).max(MAX_TAIL).default(100).describe('Lines of backfill before the live ones'),
  level: LogLevel.optional().describe('Only lines at this level or above'),
  follow: z.enum(['true', 'false']).default('true').describe('false: the tail as JSON, no stream'),
});
export type ContainerLogsQuery = z.infer<typeof ContainerLogsQuery>;

export const listContainersRoute = defineRoute({
  method: 'get', path: '/v1/admin/containers', operationId: 'listContainers',
  summary: 'The running service instances, from their heartbeats (live or stale)',
  tags: ['admin'], access: 'admin', response: ContainerList, successStatus: 200,
});

export const containerLogsRoute = defineRoute({
  method: 'get', path: '/v1/admin/containers/{id}/logs', operationId: 'streamContainerLogs',
  summary: 'One instance\'s log lines: SSE (tail, then live), or the tail as JSON with ?follow=false',
  tags: ['admin'], access: 'admin', params: ContainerParam, query: ContainerLogsQuery, response: LogTailReply,
  successStatus: 200, stream: true,
});

export const listDeadLettersRoute = defineRoute({
  method: 'get', path: '/v1/admin/dead-letters', operationId: 'listDeadLetters',
  summary: 'Work-queue jobs that gave up, newest first: queue, job id, attempts, reason, time',
  tags: ['admin'], access: 'admin', query: DeadLettersQuery, response: DeadLetterList, successStatus: 200,
});

export const getDeadLetterRoute = defineRoute({
  method: 'get', path: '/v1/admin/dead-letters/{queue}/{job_id}', operationId: 'getDeadLetter',
  summary: 'One dead letter with the job\'s body (JSON when it is JSON, else base64) and headers',
  tags: ['admin'], access: 'admin', params: DeadLetterParams, response: DeadLetterDetail, successStatus: 200,
});

export const adminRoutes: readonly RouteDefinition[] = [listContainersRoute, containerLogsRoute, listDeadLettersRoute, getDeadLetterRoute];
