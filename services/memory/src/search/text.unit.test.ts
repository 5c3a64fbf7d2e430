import { correctableWords } from './text';

describe('typo correction', () => {
  it('considers the words of a query, not operators, excluded words or short ones', () => {
    expect(correctableWords('"deploy pipeline" or kubernets -staging on it')).toEqual(['deploy', 'pipeline', 'kubernets']);
  });
});
