import { correctableWords, relax } from './text';

describe('typo correction', () => {
  it('considers the words of a query, not operators, excluded words or short ones', () => {
    expect(correctableWords('"deploy pipeline" or kubernets -staging on it')).toEqual(['deploy', 'pipeline', 'kubernets']);
  });
});

describe('relaxed query', () => {
  it('ors the words, drops quotes and operators, keeps exclusions', () => {
    expect(relax('"deploy pipeline" on fridays -staging or canary -')).toEqual({ wanted: 'deploy or pipeline or on or fridays or canary', excluded: 'staging' });
  });
});
