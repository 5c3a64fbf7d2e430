import type { ColumnType } from 'kysely';
import type { SwarmListItem } from '@cadre/proto';

/** A timestamptz column: read as a Date, written as a Date or an ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A jsonb column: read parsed, written as JSON text. */
type Json<T> = ColumnType<T, string, string>;

/** The swarms service's own tables (besides its event store), as its migrations leave them. */
export interface SwarmsDatabase {
  swarm_view: {
    swarm_id: string; version: number; owner: string | null; agent_id: string; status: string;
    created_at: Timestamp; updated_at: Timestamp; wake_at: Timestamp | null; body: Json<SwarmListItem>;
  };
}
