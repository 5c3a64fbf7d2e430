import { deciderSpec } from '@cadre/testing';
import { DEFAULT_WORKFLOW_POLICY } from '@cadre/proto';
import { projectDecider, type ProjectCommand } from './decider';
import type { ProjectEvent } from './state';

const projects = deciderSpec(projectDecider);
const P = 'p1';
const created: ProjectEvent = { type: 'project_created', data: { project_id: P, name: 'Board' }, owner: 'u1' };
const deps = (taskId: string, dependsOn: string[], keys: Record<string, string> = {}): ProjectCommand => ({ kind: 'set_dependencies', taskId, dependsOn, keys });

describe('project decisions', () => {
  it('creates once, and changes only the fields that differ', () => {
    projects.when({ kind: 'create', projectId: P, fields: { name: 'Board' } }).then([{ type: 'project_created', data: { project_id: P, name: 'Board' } }]);
    projects.given([created]).when({ kind: 'create', projectId: P, fields: { name: 'Again' } }).thenThrows('conflict');
    projects.given([created]).when({ kind: 'update', fields: { name: 'Board', description: 'new' } })
      .then([{ type: 'project_updated', data: { project_id: P, description: 'new' } }]);
    projects.given([created]).when({ kind: 'update', fields: { name: 'Board' } }).then([]);
    projects.when({ kind: 'vision', vision: '# v' }).thenThrows('not_found');
  });

  it('keeps an archived project read-only until it is brought back', () => {
    const archived = projects.given([created]).when({ kind: 'archive', archived: true })
      .then([{ type: 'project_archived', data: { project_id: P, archived: true } }]);
    const spec = projects.given([created, ...archived.events]);
    spec.when({ kind: 'vision', vision: 'x' }).thenThrows('project_archived');
    spec.when({ kind: 'set_policy', policy: DEFAULT_WORKFLOW_POLICY }).thenThrows('project_archived');
    spec.when({ kind: 'archive', archived: true }).then([]);
    spec.when({ kind: 'archive', archived: false }).thenMatch([{ type: 'project_archived', data: { archived: false } }]);
  });

  it('refuses a dependency that closes a cycle, naming the keys on it, and adds and removes edges otherwise', () => {
    const spec = projects.given([created]).givenCommands([deps('a', ['b']), deps('b', ['c'])]);
    expect(spec.state.edges).toEqual({ a: ['b'], b: ['c'] });
    expect(() => projectDecider.decide(deps('c', ['a'], { a: 'A', b: 'B', c: 'C' }), spec.state)).toThrow(/cycle is refused: A, B, C/);
    spec.when(deps('c', ['a'])).thenThrows('dependency_cycle');
    spec.when(deps('c', ['c'])).thenThrows('dependency_cycle');
    spec.when(deps('a', ['c'])).then([
      { type: 'task_dependency_removed', data: { project_id: P, task_id: 'a', depends_on: 'b' } },
      { type: 'task_dependency_added', data: { project_id: P, task_id: 'a', depends_on: 'c' } },
    ]);
  });

  it('records an import once: the same request again is a replay, another one under the key is refused', () => {
    const first: ProjectCommand = { kind: 'import', importId: 'i1', hash: 'h1', keys: {}, tasks: [{ taskId: 't1', dependsOn: [] }, { taskId: 't2', dependsOn: ['t1'] }] };
    const imported = projects.given([created]).when(first).thenResult({ replayed: false });
    expect(imported.events.map((e) => e.type)).toEqual(['tasks_imported', 'task_dependency_added']);
    const spec = projects.given([created, ...imported.events]);
    spec.when(first).then([]).thenResult({ replayed: true });
    spec.when({ ...first, hash: 'h2' }).thenThrows('idempotency_key_reused');
    projects.given([created]).when({ ...first, tasks: [{ taskId: 't1', dependsOn: ['t2'] }, { taskId: 't2', dependsOn: ['t1'] }] }).thenThrows('dependency_cycle');
  });
});
