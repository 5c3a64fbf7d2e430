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

  it('compiles a bounded variable-length path to a recursive query over trails: no edge twice, nodes may repeat', () => {
    const compiled = compile('MATCH (a)-[:CALLS*2..4]->(b) RETURN count(*)');
    expect(compiled.sql).toMatch(/^with recursive p\d+\(start_id, end_id, depth, edges\)/);
    expect(compiled.sql).toContain('p.depth < 4');
    expect(compiled.sql).toContain('not (x.id = any(p.edges))');
    expect(compiled.sql).not.toContain('x.t = any');
    expect(compiled.sql).toMatch(/\.depth >= 2/);
  });

  it('matches each edge at most once per MATCH: between relationships, paths and comma-separated patterns', () => {
    const twoHop = compile('MATCH (a)-[r1]-(b)-[r2]-(c) RETURN c').sql;
    expect(twoHop).toMatch(/e(\d+)\.ctid <> e(\d+)\.ctid/);
    const mixed = compile('MATCH (a)-[:CALLS]->(b)-[:CALLS*1..3]->(c), (d)-[:CALLS*1..2]->(e) RETURN e').sql;
    expect(mixed).toMatch(/not \(e\d+\.ctid = any\(p\d+r\.edges\)\)/);
    expect(mixed).toMatch(/not \(p\d+r\.edges && p\d+r\.edges\)/);
    // One relationship: nothing to keep apart.
    expect(compile('MATCH (a)-[r]->(b) RETURN r').sql).not.toContain('<>');
  });

  it('returns a variable-length relationship as the list of its relationships; a property or type() of it is refused, naming it', () => {
    const listed = compile('MATCH (a)-[r:CALLS*1..3]->(b) RETURN r, size(r) AS hops');
    expect(listed.sql).toMatch(/jsonb_agg\(jsonb_build_object\('type'.*order by p\d+ru\.i\)/s);
    expect(listed.sql).toContain('cardinality(p');
    expect(() => compile('MATCH (a)-[r:CALLS*1..3]->(b) RETURN r.confidence')).toThrow(/'r' is a variable-length relationship, a list of relationships: a property \(r\.confidence\)/);
    expect(() => compile('MATCH (a)-[r:CALLS*1..3]->(b) RETURN type(r)')).toThrow(/type\(\) is not supported on it/);
  });

  it('follows Cypher where SQL differs: nulls descending first, text by code point, collect without nulls, sum of nothing 0', () => {
    const ordered = compile('MATCH (n) RETURN n.name AS name, n.start_line AS line ORDER BY line DESC, name').sql;
    expect(ordered).toContain('order by c1 desc, c0 asc');
    expect(ordered).not.toContain('nulls');
    expect(ordered).toContain('(n1.name collate "C") as c0');
    expect(ordered).not.toContain('n1.start_line collate');
    expect(compile("MATCH (n) WHERE n.name < 'm' RETURN n").sql).toContain('(n1.name collate "C") <');
    const aggregates = compile('MATCH (n) RETURN collect(n.doc) AS docs, sum(n.size) AS total').sql;
    expect(aggregates).toMatch(/jsonb_agg\(.+\) filter \(where .+ is not null\)/);
    expect(aggregates).toMatch(/coalesce\(sum\(.+\), 0\)/);
  });

  it('refuses what would give wrong rows, naming it: a column twice, a named path', () => {
    expect(() => compile('MATCH (a)-->(b) RETURN a.name AS x, b.name AS x')).toThrow("the column 'x' is returned twice");
    expect(() => compile('MATCH p = (a)-->(b) RETURN a')).toThrow('a named path (p = …) is not supported');
    expect(compile("MATCH (n {name: '\\u0073quare'}) RETURN n").params).toContain('square');
    const caseless = compile("MATCH (n) WHERE n.name =~ '(?i)sq.*' AND n.file =~ $p RETURN n", { p: '(?i)TS/.*' });
    expect(caseless.sql.match(/ ~\* /g)).toHaveLength(2);
    expect(caseless.params).toEqual(expect.arrayContaining(['sq.*', 'TS/.*']));
  });

  it('groups by the columns that are not aggregates and caps the rows', () => {
    const compiled = compile('MATCH (f:File)-[:DEFINES]->(s) RETURN f.file AS file, count(s) AS n ORDER BY n DESC LIMIT 500');
    expect(compiled.sql).toContain('group by c0');
    expect(compiled.sql).toContain('order by c1 desc');
    // LIMIT 500 over a cap of 100: 101 rows are fetched, so the caller can say it truncated.
    expect(compiled.params[compiled.params.length - 2]).toBe(101);
  });
});
