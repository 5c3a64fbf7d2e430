import type { ColumnType } from 'kysely';

/** The memory service's tables, as Kysely sees them (most queries are SQL written out: full-text search). */
export interface MemoryDatabase {
  memories: {
    id: string; owner: string | null; agent_id: string; shared: boolean; title: string; body: string; type: string;
    tags: string[]; links: string[]; version: number; deleted: boolean;
    created_at: ColumnType<Date, Date | string, Date | string>; updated_at: ColumnType<Date, Date | string, Date | string>;
    search: string;
  };
  memory_imports: {
    import_id: string; owner: string | null; agent_id: string; status: string; files: unknown; saved: number; unchanged: number;
    failed: number; errors: unknown; created_at: ColumnType<Date, Date | string, Date | string>; updated_at: ColumnType<Date, Date | string, Date | string>;
  };
}
