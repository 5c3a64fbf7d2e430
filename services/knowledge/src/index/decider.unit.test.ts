import { deciderSpec } from '@cadre/testing';
import { indexDecider, type IndexEvent } from './decider';

const P = 'p1';
const started = (jobId: string): IndexEvent => ({ type: 'code_graph_index_started', data: { project_id: P, job_id: jobId, force: false, repository: '/r' }, occurredAt: '2026-01-01T00:00:00.000Z' });
const complete = (jobId: string): IndexEvent => ({
  type: 'code_graph_index_complete', data: { project_id: P, job_id: jobId, counts: { symbols: 3 }, modularity: 0.4, duration_ms: 10, errors: [] }, occurredAt: '2026-01-01T00:00:01.000Z',
});

describe('index decider', () => {
  it('starts a job when none runs', () => {
    deciderSpec(indexDecider).given([]).when({ kind: 'request', projectId: P, jobId: 'j1', force: true, repository: '/r' })
      .then([{ type: 'code_graph_index_started', data: { project_id: P, job_id: 'j1', force: true, repository: '/r' } }]);
  });

  it('joins the running job instead of starting another', () => {
    deciderSpec(indexDecider).given([started('j1')]).when({ kind: 'request', projectId: P, jobId: 'j2', force: false, repository: '/r' })
      .thenResult({ job_id: 'j1', status: 'running' });
  });

  it('starts a new job once the last one completed', () => {
    deciderSpec(indexDecider).given([started('j1'), complete('j1')]).when({ kind: 'request', projectId: P, jobId: 'j2', force: false, repository: '/r' })
      .thenResult({ job_id: 'j2', status: 'started' });
  });

  it('completes a job once: a redelivered worker changes nothing', () => {
    deciderSpec(indexDecider).given([started('j1'), complete('j1')])
      .when({ kind: 'complete', projectId: P, jobId: 'j1', counts: {}, modularity: 0, durationMs: 1, errors: [] }).then([]);
    deciderSpec(indexDecider).given([started('j1'), complete('j1')])
      .when({ kind: 'progress', projectId: P, jobId: 'j1', phase: 'parsing', counts: {}, attempt: 2 }).then([]);
  });

  it('keeps each job\'s phase and counts', () => {
    deciderSpec(indexDecider).given([
      started('j1'),
      { type: 'code_graph_index_progress', data: { project_id: P, job_id: 'j1', phase: 'parsing', counts: { files_total: 4 } } },
    ]).when({ kind: 'fail', projectId: P, jobId: 'j1', error: 'boom' }).thenMatch([{ type: 'code_graph_index_failed', data: { job_id: 'j1', error: 'boom' } }]);
    const state = [started('j1'), { type: 'code_graph_index_progress', data: { project_id: P, job_id: 'j1', phase: 'parsing', counts: { files_total: 4 } } } as IndexEvent,
      { type: 'code_graph_index_progress', data: { project_id: P, job_id: 'j1', phase: 'calls', counts: { symbols: 9 } } } as IndexEvent]
      .reduce(indexDecider.evolve, indexDecider.initialState);
    expect(state.running).toBe('j1');
    expect(state.jobs.j1).toMatchObject({ status: 'running', phase: 'calls', counts: { files_total: 4, symbols: 9 } });
    // When it last reported: a joined request queues it again only once it has been silent for an ack wait.
    const later = indexDecider.evolve(state, { type: 'code_graph_index_progress', data: { project_id: P, job_id: 'j1', phase: 'communities', counts: {} }, occurredAt: '2026-01-01T00:05:00.000Z' });
    expect([indexDecider.evolve(indexDecider.initialState, started('j1')).active, later.active]).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T00:05:00.000Z']);
  });

  it('keeps what the running job was asked and the project\'s owner (a snapshot holds all a worker needs)', () => {
    const asked = (jobId: string, owner: string, repository: string): IndexEvent => ({ ...started(jobId), data: { ...started(jobId).data, repository, force: true }, owner } as IndexEvent);
    const state = [asked('j1', 'u1', '/a'), complete('j1'), asked('j2', 'u2', '/b')].reduce(indexDecider.evolve, indexDecider.initialState);
    expect(state).toMatchObject({ running: 'j2', owner: 'u1', request: { job_id: 'j2', force: true, repository: '/b', owner: 'u2' } });
    const done = [complete('j2')].reduce(indexDecider.evolve, state);
    expect(done.running).toBeUndefined();
    expect(done.owner).toBe('u1');
  });
});
