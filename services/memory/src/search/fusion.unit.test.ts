import { RRF_K, fuse } from './fusion';

describe('reciprocal rank fusion', () => {
  it('puts a memory both sides found above those only one side found', () => {
    const fused = fuse([{ id: 'a', rank: 0.9 }, { id: 'b', rank: 0.5 }], [{ id: 'c', similarity: 0.9 }, { id: 'b', similarity: 0.8 }]);
    expect(fused.map((f) => f.id)).toEqual(['b', 'a', 'c']);
    expect(fused[0]!.fused).toBeCloseTo(1 / (RRF_K + 2) + 1 / (RRF_K + 2), 12);
    expect(fused[1]!.fused).toBeCloseTo(1 / (RRF_K + 1), 12);
  });

  it('keeps the text side first between equal ranks and says which side ranked each', () => {
    const fused = fuse([{ id: 'a', rank: 0.1 }], [{ id: 'z', similarity: 0.99 }]);
    expect(fused.map((f) => [f.id, f.textRank, f.vectorRank])).toEqual([['a', 1, null], ['z', null, 1]]);
  });

  it('is the text order alone when there is no vector side', () => {
    expect(fuse([{ id: 'x', rank: 0.3 }, { id: 'y', rank: 0.2 }, { id: 'w', rank: 0.1 }], []).map((f) => f.id)).toEqual(['x', 'y', 'w']);
  });
});
