import type { ColumnType } from 'kysely';
import type { ProjectView, TaskView } from '@cadre/proto';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** The projects service's own tables (besides its event store), as its frozen migrations leave them. */
export interface ProjectsDatabase {
  projects: {
    project_id: string; owner: string | null; archived: boolean; version: number; created_at: Timestamp; updated_at: Timestamp;
    body: Json<Omit<ProjectView, 'version'>>;
  };
  tasks: {
    task_id: string; project_id: string; owner: string | null; version: number; status: string; assignee: string | null; labels: string[];
    claim_expires_at: Timestamp | null; created_at: Timestamp; body: Json<Omit<TaskView, 'dependencies'>>;
  };
  task_dependencies: { project_id: string; task_id: string; depends_on: string };
  board_runs: { run_id: string; project_id: string; task_id: string; started_from_board: boolean; created_at: ColumnType<Date, Date | string | undefined, never> };
}
