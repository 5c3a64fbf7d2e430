import type { MemoryView } from '@cadre/proto';

export interface MemoryRow {
  readonly id: string;
  readonly owner: string | null;
  readonly agent_id: string;
  readonly shared: boolean;
  readonly title: string;
  readonly body: string;
  readonly type: string;
  readonly tags: string[];
  readonly links: string[];
  readonly version: number;
  readonly deleted: boolean;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export const MEMORY_COLUMNS = 'id, owner, agent_id, shared, title, body, type, tags, links, version, deleted, created_at, updated_at';

export function presentMemory(row: MemoryRow): MemoryView {
  return {
    id: row.id, agent_id: row.agent_id, shared: row.shared, title: row.title, body: row.body, type: row.type as MemoryView['type'],
    tags: row.tags, links: row.links, version: row.version, ...(row.owner !== null ? { owner: row.owner } : {}),
    created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString(),
  };
}
