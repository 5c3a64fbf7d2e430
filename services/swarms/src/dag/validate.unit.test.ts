import { ValidationError } from '@cadre/proto';
import { validateDag } from './validate';

const t = (key: string, dependencies: string[] = []) => ({ key, dependencies });
const problem = (tasks: ReturnType<typeof t>[]): ValidationError => {
  try {
    validateDag(tasks);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('task graph validation', () => {
  it('answers the roots and the longest chain of a valid graph', () => {
    expect(validateDag([t('A'), t('B', ['A']), t('C', ['A']), t('D', ['B', 'C']), t('E')])).toEqual({ rootTasks: ['A', 'E'], maxDepth: 3 });
  });

  it('names duplicate keys, self and unknown dependencies, each with its path', () => {
    const error = problem([t('A'), t('A'), t('B', ['B', 'nope'])]);
    expect(error.message).toBe("invalid task graph: duplicate task key 'A' (also tasks.0) (and 2 more problems)");
    expect(error.details).toEqual([
      { path: 'tasks.1.key', message: "duplicate task key 'A' (also tasks.0)" },
      { path: 'tasks.2.dependencies.0', message: "task 'B' depends on itself" },
      { path: 'tasks.2.dependencies.1', message: "task 'B' depends on unknown task 'nope'" },
    ]);
  });

  it('names the keys on a cycle, in order', () => {
    const error = problem([t('start'), t('a', ['c', 'start']), t('b', ['a']), t('c', ['b'])]);
    expect(error.message).toBe('invalid task graph: dependency cycle: a -> b -> c -> a');
  });
});
