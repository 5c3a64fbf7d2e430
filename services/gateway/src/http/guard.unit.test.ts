import { MAX_DEPTH, inputProblems } from './guard';

describe('input guard', () => {
  it('refuses NUL characters in strings and keys, naming where', () => {
    expect(inputProblems({ a: ['ok', 'b\u0000'] }, 'body')).toEqual([{ path: 'body.a.1', message: 'must not contain NUL (U+0000) characters' }]);
    expect(inputProblems({ 'k\u0000': 1 }, 'query')).toHaveLength(1);
    expect(inputProblems({ a: 'fine', b: [1, { c: null }] }, 'body')).toEqual([]);
  });

  it('refuses nesting past the limit without recursing', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(inputProblems(deep, 'body')).toEqual([{ path: `body${'.0'.repeat(MAX_DEPTH)}`, message: `nested deeper than ${MAX_DEPTH} levels` }]);
  });
});
