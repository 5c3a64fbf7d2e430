import { sql, type Kysely } from 'kysely';
import type { Migrations } from '@cadre/kit';

/**
 * Tables of the swarms service besides its event store: the swarm list read model. Each row
 * carries the version of the swarm stream it reflects, so an older state never replaces a newer
 * one. `wake_at` is when a running swarm next needs a look (a retry due, its global timeout).
 * Frozen: a shipped migration never changes; a change is a new one.
 */
export function swarmsMigrations(schema: string): Migrations {
  const s = sql.id(schema);
  /* eslint-disable @typescript-eslint/no-explicit-any */
  return {
    '2026_12_06_0001_swarm_view': {
      async up(db: Kysely<any>) {
        await sql`create table ${s}.swarm_view (
          swarm_id text primary key, version integer not null, owner text, agent_id text not null, status text not null,
          created_at timestamptz not null, updated_at timestamptz not null, wake_at timestamptz, body jsonb not null)`.execute(db);
        await sql`create index swarm_view_created on ${s}.swarm_view (created_at desc, swarm_id desc)`.execute(db);
        await sql`create index swarm_view_owner on ${s}.swarm_view (owner, created_at desc, swarm_id desc)`.execute(db);
        await sql`create index swarm_view_wake on ${s}.swarm_view (wake_at) where status = 'running'`.execute(db);
      },
    },
  };
  /* eslint-enable @typescript-eslint/no-explicit-any */
}
