import { z } from 'zod';
import { defineEvent } from '../define-event';
import { IndexCounts, IndexPhase } from './schemas';

// Events of the code knowledge graph (the real system's CODE_GRAPH_INDEX_* progress, lower-case).
// Each carries project_id and is scoped to the project, so `?project_id=` on the stream follows an index.
const JobRef = { project_id: z.string().min(1), job_id: z.string().min(1) };

export const codeGraphIndexStarted = defineEvent({
  type: 'code_graph_index_started', domain: 'knowledge', version: 1, description: "Indexing of a project's repository started (queued as a job)",
  data: z.object({ ...JobRef, force: z.boolean(), repository: z.string() }),
});

export const codeGraphIndexProgress = defineEvent({
  type: 'code_graph_index_progress', domain: 'knowledge', version: 1, description: 'An index job reached a phase, with its counts so far',
  data: z.object({ ...JobRef, phase: IndexPhase, counts: IndexCounts, attempt: z.number().int().optional(), worker: z.string().optional().describe('The service instance running the job') }),
});

export const codeGraphIndexComplete = defineEvent({
  type: 'code_graph_index_complete', domain: 'knowledge', version: 1, description: "A project's graph was indexed and stored",
  data: z.object({ ...JobRef, counts: IndexCounts, modularity: z.number(), duration_ms: z.number().int(), errors: z.array(z.string()) }),
});

export const codeGraphIndexFailed = defineEvent({
  type: 'code_graph_index_failed', domain: 'knowledge', version: 1, description: 'An index job failed for good; the earlier graph, if any, is kept',
  data: z.object({ ...JobRef, error: z.string() }),
});

export const knowledgeEvents = [codeGraphIndexStarted, codeGraphIndexProgress, codeGraphIndexComplete, codeGraphIndexFailed] as const;
