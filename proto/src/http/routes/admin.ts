import { z } from 'zod';
import { ContainerList, LogLevel, LogTailReply, MAX_TAIL } from '../../admin';
import { defineRoute, type RouteDefinition } from '../route';

// Admin routes the gateway answers itself (seed 002, "Admin"): the running instances, from
// their heartbeats, and one instance's log lines, served by the instance over the bus.

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

export const adminRoutes: readonly RouteDefinition[] = [listContainersRoute, containerLogsRoute];
