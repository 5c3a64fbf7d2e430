import { compileCypher } from './compile';
import { parseCypher } from './parser';

const compile = (query: string, parameters: Record<string, string | number> = {}) =>
  compileCypher(parseCypher(query), { schema: 'knowledge', projectId: 'p1', parameters, maxRows: 100 });

describe('query language compiler', () => {
  it('puts every value of the statement in parameters, never in the SQL text', () => {
    const hostile = "x'); DROP TABLE knowledge.nodes; --";
    const compiled = compile(
      `MATCH (n:\`Label"; DROP\`)-[r:\`TYPE'; --\`]->(m {\`key') OR 1=1 --\`: 'v'}) WHERE n.name = '${hostile.replace(/'/g, "\\'")}' AND m.\`odd" key\` = $p RETURN n.name AS \`col"; DROP\``,
      { p: hostile },
    );
    for (const text of ['DROP', 'OR 1=1', 'odd', 'Label', 'TYPE', '"; ']) expect(compiled.sql).not.toContain(text);
    expect(compiled.params).toEqual(expect.arrayContaining(['p1', 'Label"; DROP', ["TYPE'; --"], "key') OR 1=1 --", 'v', hostile, 'odd" key']));
    expect(compiled.columns).toEqual(['col"; DROP']);
  });

  it('compiles a bounded variable-length path to a recursive query that visits no node twice', () => {
    const compiled = compile('MATCH (a)-[:CALLS*2..4]->(b) RETURN count(*)');
    expect(compiled.sql).toMatch(/^with recursive p\d+\(start_id, end_id, depth, path\)/);
    expect(compiled.sql).toContain('p.depth < 4');
    expect(compiled.sql).toContain('not (x.t = any(p.path))');
    expect(compiled.sql).toMatch(/\.depth >= 2/);
  });

  it('groups by the columns that are not aggregates and caps the rows', () => {
    const compiled = compile('MATCH (f:File)-[:DEFINES]->(s) RETURN f.file AS file, count(s) AS n ORDER BY n DESC LIMIT 500');
    expect(compiled.sql).toContain('group by c0');
    expect(compiled.sql).toContain('order by c1 desc');
    // LIMIT 500 over a cap of 100: 101 rows are fetched, so the caller can say it truncated.
    expect(compiled.params[compiled.params.length - 2]).toBe(101);
  });
});
