import { sql } from 'kysely';
import type { ProjectionDefinition } from '@cadre/eventstore';
import { projectEvents, type EventEnvelope } from '@cadre/proto';
import { loadProject, loadTask } from '../commands';
import type { ProjectsContext } from '../context';
import { writeProject, writeTask } from './write';

const TASK_EVENTS = new Set(['task_created', 'task_updated', 'task_claimed', 'task_claim_released', 'task_transitioned', 'task_execution_started', 'task_execution_finished']);

/** Which row an event changes: its task's, or its project's (fields, policy, dependency edges, imports). */
const rowOf = (event: EventEnvelope): { table: 'tasks' | 'projects'; id: string } =>
  TASK_EVENTS.has(event.type)
    ? { table: 'tasks', id: String(event.data.task_id) }
    : { table: 'projects', id: String(event.data.project_id) };

/**
 * The board's read models (projects, tasks, dependency edges) on every replica. The replica that
 * ran a command wrote its rows before replying; this passes over events at or below a row's
 * version, and for any other rewrites the row from its stream as it is now (a version guard
 * keeps a newer row), so it does not depend on the order events come in.
 */
export function boardViewsProjection(ctx: ProjectsContext): ProjectionDefinition {
  return {
    name: 'board_views',
    events: projectEvents.map((e) => e.type),
    orderFree: true,
    alreadyApplied: async (event) => {
      const { table, id } = rowOf(event);
      const key = table === 'tasks' ? 'task_id' : 'project_id';
      const row = (await sql<{ version: number }>`select version from ${sql.id(ctx.schema, table)} where ${sql.id(key)} = ${id}`.execute(ctx.db)).rows[0];
      return row !== undefined && row.version >= event.version;
    },
    apply: async (event, trx) => {
      const { table, id } = rowOf(event);
      if (table === 'tasks') await writeTask(trx, ctx.schema, await loadTask(ctx, id));
      else await writeProject(trx, ctx.schema, await loadProject(ctx, id));
    },
  };
}
