/** The constant of reciprocal rank fusion (Cormack et al., 2009): 1 / (k + rank), summed over the lists. */
export const RRF_K = 60;

export interface Fused {
  readonly id: string;
  readonly textRank: number | null;
  readonly textScore: number | null;
  readonly vectorRank: number | null;
  readonly vectorScore: number | null;
  readonly fused: number;
}

/**
 * Reciprocal rank fusion of a full-text list and a vector list (each best first, ranks from 1):
 * a memory both lists found adds both terms, so it outranks one that only one list found at the
 * same rank. Ties keep the text list's order, then the vector list's.
 */
export function fuse(text: ReadonlyArray<{ id: string; rank: number }>, vector: ReadonlyArray<{ id: string; similarity: number }>): Fused[] {
  const byId = new Map<string, { textRank: number | null; textScore: number | null; vectorRank: number | null; vectorScore: number | null; order: number }>();
  text.forEach((hit, i) => byId.set(hit.id, { textRank: i + 1, textScore: hit.rank, vectorRank: null, vectorScore: null, order: i }));
  vector.forEach((hit, i) => {
    const found = byId.get(hit.id);
    if (found) {
      found.vectorRank = i + 1;
      found.vectorScore = hit.similarity;
    } else {
      byId.set(hit.id, { textRank: null, textScore: null, vectorRank: i + 1, vectorScore: hit.similarity, order: text.length + i });
    }
  });
  const fusedOf = (r: { textRank: number | null; vectorRank: number | null }) =>
    (r.textRank === null ? 0 : 1 / (RRF_K + r.textRank)) + (r.vectorRank === null ? 0 : 1 / (RRF_K + r.vectorRank));
  return [...byId.entries()]
    .map(([id, r]) => ({ id, textRank: r.textRank, textScore: r.textScore, vectorRank: r.vectorRank, vectorScore: r.vectorScore, fused: fusedOf(r), order: r.order }))
    .sort((a, b) => b.fused - a.fused || a.order - b.order)
    .map(({ order: _order, ...rest }) => rest);
}
