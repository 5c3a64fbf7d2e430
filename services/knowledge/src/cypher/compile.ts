import { DomainError, QUERY_UNSUPPORTED, ValidationError } from '@cadre/proto';
import type { Expr, NodePattern, Query, RelPattern } from './ast';

/** Hops a variable-length relationship may span at most. */
export const MAX_HOPS = 10;

export type ParameterValue = string | number | boolean | null | ReadonlyArray<string | number>;

export interface CompileOptions {
  readonly schema: string;
  readonly projectId: string;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  /** Rows fetched at most (one more tells the caller the answer was truncated). */
  readonly maxRows: number;
}

export interface CompiledQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly columns: readonly string[];
}

const refuse = (message: string): DomainError => new DomainError(QUERY_UNSUPPORTED, message);

/** Node properties stored in columns; others are read from `props` (communities' and processes' figures). */
const NODE_COLUMNS: Readonly<Record<string, string>> = {
  id: 'id', label: 'label', name: 'name', qualified_name: 'qualified', qualified: 'qualified', file: 'file', language: 'language',
  start_line: 'start_line', end_line: 'end_line', signature: 'signature', doc: 'doc', community: 'community',
};
const NUMERIC_PROPS = new Set(['cohesion', 'size', 'step_count', 'community_id', 'process_id', 'entry_id', 'terminal_id']);
const REL_COLUMNS: Readonly<Record<string, (alias: string) => string>> = {
  type: (a) => `${a}.type`, confidence: (a) => `round(${a}.confidence::numeric, 4)::float8`, reason: (a) => `${a}.reason`, step: (a) => `${a}.step`,
};
const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max', 'collect']);

/** A variable: a node, one relationship, or a variable-length relationship (a list of relationships, their row ids in `alias.edges`). */
type Binding = { readonly kind: 'node'; readonly alias: string } | { readonly kind: 'rel'; readonly alias: string } | { readonly kind: 'path'; readonly name: string; readonly alias: string; readonly reversed: boolean };

/** Node columns that hold text, and relationship ones: compared and sorted by code point, as Cypher does (`collate "C"`). */
const TEXT_NODE_PROPS = new Set(['label', 'name', 'qualified_name', 'qualified', 'file', 'language', 'signature', 'doc']);
const TEXT_FUNCTIONS = new Set(['tolower', 'toupper', 'type']);

const hasAggregate = (expr: Expr): boolean => {
  switch (expr.kind) {
    case 'call': return AGGREGATES.has(expr.name.toLowerCase()) || expr.args.some(hasAggregate);
    case 'not': return hasAggregate(expr.operand);
    case 'isnull': return hasAggregate(expr.operand);
    case 'binary': case 'compare': return hasAggregate(expr.left) || hasAggregate(expr.right);
    case 'list': return expr.items.some(hasAggregate);
    default: return false;
  }
};

/**
 * Compiles a parsed statement to one SQL query over the service's `nodes` and `edges` tables, the
 * project's id its first parameter. Every value of the statement — literals, `$parameters`,
 * labels, relationship types, property keys — travels as a SQL parameter; the SQL text is made
 * only of the compiler's own words and generated aliases.
 */
export function compileCypher(query: Query, options: CompileOptions): CompiledQuery {
  const params: unknown[] = [options.projectId];
  const param = (value: unknown, cast: string): string => { params.push(value); return `$${params.length}::${cast}`; };
  const s = `"${options.schema}"`;
  const bindings = new Map<string, Binding>();
  const from: string[] = [];
  const where: string[] = [];
  const ctes: string[] = [];
  let counter = 0;

  const literal = (value: unknown): string => {
    if (value === null) return 'null';
    if (typeof value === 'number') return param(value, 'float8');
    if (typeof value === 'boolean') return param(value, 'boolean');
    if (typeof value === 'string') return param(value, 'text');
    // An empty list takes its element type from where it stands (`n.name IN []`, `n.start_line IN $none`).
    if (Array.isArray(value) && value.length === 0) { params.push([]); return `$${params.length}`; }
    if (Array.isArray(value)) return value.every((item) => typeof item === 'number') ? param(value, 'float8[]') : param(value.map(String), 'text[]');
    throw refuse('a parameter must be a string, a number, a boolean, null or a list');
  };

  const nodeObject = (alias: string): string =>
    `jsonb_build_object('id', ${alias}.id, 'label', ${alias}.label, 'name', ${alias}.name, 'qualified_name', ${alias}.qualified, 'file', ${alias}.file, 'start_line', ${alias}.start_line)`;
  const relObject = (alias: string): string => `jsonb_build_object('type', ${alias}.type, 'confidence', round(${alias}.confidence::numeric, 4)::float8, 'reason', ${alias}.reason)`;

  const anyBound = (name: string): Binding => {
    const binding = bindings.get(name);
    if (binding === undefined) throw refuse(`variable '${name}' is not defined by the MATCH`);
    return binding;
  };
  const bound = (name: string, use: string): Exclude<Binding, { kind: 'path' }> => {
    const binding = anyBound(name);
    if (binding.kind === 'path') throw refuse(`variable '${name}' is a variable-length relationship, a list of relationships: ${use} is not supported on it (return it, or size(${name}))`);
    return binding;
  };
  /** A variable-length relationship's list: each relationship as `{type, confidence, reason}`, in path order. */
  const relList = (alias: string, reversed: boolean): string => {
    const e = `${alias}x`;
    return `(select coalesce(jsonb_agg(${relObject(e)} order by ${alias}u.i${reversed ? ' desc' : ''}), '[]'::jsonb) from unnest(${alias}.edges) with ordinality ${alias}u(id, i) join ${s}.edges ${e} on ${e}.ctid = ${alias}u.id)`;
  };
  /** Whether an expression is known to be text (compared and ordered by code point). */
  const isText = (expr: Expr): boolean => {
    switch (expr.kind) {
      case 'literal': return typeof expr.value === 'string';
      case 'param': return typeof options.parameters[expr.name] === 'string';
      case 'prop': {
        const binding = bindings.get(expr.variable);
        if (binding?.kind === 'node') return TEXT_NODE_PROPS.has(expr.property) || (NODE_COLUMNS[expr.property] === undefined && !NUMERIC_PROPS.has(expr.property));
        return binding?.kind === 'rel' && (expr.property === 'type' || expr.property === 'reason');
      }
      case 'call': {
        const name = expr.name.toLowerCase();
        return TEXT_FUNCTIONS.has(name) || (['min', 'max', 'coalesce'].includes(name) && expr.args.length > 0 && expr.args.every(isText));
      }
      default: return false;
    }
  };
  const collated = (sql: string, expr: Expr): string => (isText(expr) ? `(${sql} collate "C")` : sql);

  const compileExpr = (expr: Expr, inAggregate = false): string => {
    switch (expr.kind) {
      case 'literal': return literal(expr.value);
      case 'list': return expr.items.length === 0 ? literal([]) : `array[${expr.items.map((item) => compileExpr(item)).join(', ')}]`;
      case 'param': {
        if (!(expr.name in options.parameters)) throw new ValidationError(`parameter $${expr.name} is used but not given`, { fields: { parameters: `missing ${expr.name}` } });
        return literal(options.parameters[expr.name]);
      }
      case 'var': {
        const binding = anyBound(expr.name);
        if (binding.kind === 'node') return inAggregate ? `${binding.alias}.id` : nodeObject(binding.alias);
        if (binding.kind === 'path') return inAggregate ? `${binding.alias}.edges` : relList(binding.alias, binding.reversed);
        return inAggregate ? `${binding.alias}.ctid` : relObject(binding.alias);
      }
      case 'prop': {
        const binding = bound(expr.variable, `a property (${expr.variable}.${expr.property})`);
        if (binding.kind === 'node') {
          const column = NODE_COLUMNS[expr.property];
          if (column !== undefined) return `${binding.alias}.${column}`;
          return NUMERIC_PROPS.has(expr.property) ? `(${binding.alias}.props->>${param(expr.property, 'text')})::float8` : `(${binding.alias}.props->>${param(expr.property, 'text')})`;
        }
        const column = REL_COLUMNS[expr.property];
        return column !== undefined ? column(binding.alias) : 'null';
      }
      case 'call': return compileCall(expr);
      case 'not': return `(not ${compileExpr(expr.operand)})`;
      case 'binary': return expr.op === 'XOR'
        ? `((${compileExpr(expr.left)}) <> (${compileExpr(expr.right)}))`
        : `(${compileExpr(expr.left)} ${expr.op.toLowerCase()} ${compileExpr(expr.right)})`;
      case 'isnull': return `(${compileExpr(expr.operand)} is ${expr.negated ? 'not ' : ''}null)`;
      case 'compare': {
        // `(?i)` before a regular expression (Java's flag, as Cypher takes it): matched ignoring case.
        const pattern = expr.op === '=~' ? (expr.right.kind === 'literal' ? expr.right.value : expr.right.kind === 'param' ? options.parameters[expr.right.name] : undefined) : undefined;
        if (typeof pattern === 'string' && pattern.startsWith('(?i)')) return `(${compileExpr(expr.left)} ~* ('^(?:' || ${literal(pattern.slice(4))} || ')$'))`;
        const ordered = ['<', '<=', '>', '>='].includes(expr.op) && (isText(expr.left) || isText(expr.right));
        const left = ordered ? `(${compileExpr(expr.left)} collate "C")` : compileExpr(expr.left);
        const right = compileExpr(expr.right);
        switch (expr.op) {
          case 'CONTAINS': return `(strpos(${left}, ${right}) > 0)`;
          case 'STARTS WITH': return `starts_with(${left}, ${right})`;
          case 'ENDS WITH': return `(right(${left}, length(${right})) = ${right})`;
          case 'IN':
            if (expr.right.kind !== 'list' && expr.right.kind !== 'param') throw refuse('IN takes a list: [a, b] or a list $parameter');
            return `(${left} = any(${right}))`;
          case '=~': return `(${left} ~ ('^(?:' || ${right} || ')$'))`;
          default: return `(${left} ${expr.op} ${right})`;
        }
      }
    }
  };

  const compileCall = (expr: Extract<Expr, { kind: 'call' }>): string => {
    const name = expr.name.toLowerCase();
    const distinct = expr.distinct ? 'distinct ' : '';
    const arg = (index = 0, inAggregate = false): string => {
      const value = expr.args[index];
      if (value === undefined) throw refuse(`${expr.name}() needs an argument`);
      return compileExpr(value, inAggregate);
    };
    switch (name) {
      case 'count': return expr.star ? 'count(*)::int' : `count(${distinct}${arg(0, true)})::int`;
      // Cypher's sum of no rows is 0; its collect() leaves out nulls.
      case 'sum': return `coalesce(sum(${distinct}${arg()}), 0)::float8`;
      case 'avg': return `avg(${distinct}${arg()})::float8`;
      case 'min': return `min(${collated(arg(), expr.args[0]!)})`;
      case 'max': return `max(${collated(arg(), expr.args[0]!)})`;
      case 'collect': { const value = arg(); return `coalesce(jsonb_agg(${distinct}${value}) filter (where ${value} is not null), '[]'::jsonb)`; }
      case 'tolower': return `lower(${arg()})`;
      case 'toupper': return `upper(${arg()})`;
      case 'size': {
        const value = expr.args[0];
        const binding = value?.kind === 'var' ? bindings.get(value.name) : undefined;
        if (binding?.kind === 'path') return `cardinality(${binding.alias}.edges)`;
        if (value?.kind === 'var') throw refuse('size() takes a string, a list or a variable-length relationship');
        if (value?.kind === 'list') return `cardinality(${arg()})`;
        if (value?.kind === 'call' && value.name.toLowerCase() === 'collect') return `jsonb_array_length(${arg()})`;
        return `length(${arg()})`;
      }
      case 'id': { const value = expr.args[0]; if (value?.kind !== 'var') throw refuse('id() takes a node'); const b = bound(value.name, 'id()'); if (b.kind !== 'node') throw refuse('id() takes a node'); return `${b.alias}.id`; }
      case 'labels': { const value = expr.args[0]; if (value?.kind !== 'var') throw refuse('labels() takes a node'); const b = bound(value.name, 'labels()'); if (b.kind !== 'node') throw refuse('labels() takes a node'); return `jsonb_build_array(${b.alias}.label)`; }
      case 'type': { const value = expr.args[0]; if (value?.kind !== 'var') throw refuse('type() takes a relationship'); const b = bound(value.name, 'type()'); if (b.kind !== 'rel') throw refuse('type() takes a relationship'); return `${b.alias}.type`; }
      case 'coalesce': return `coalesce(${expr.args.map((value) => compileExpr(value)).join(', ')})`;
      default: throw refuse(`function ${expr.name}() is not supported (count, sum, avg, min, max, collect, toLower, toUpper, size, id, labels, type, coalesce)`);
    }
  };

  const nodeAlias = (node: NodePattern): string => {
    const existing = node.variable !== undefined ? bindings.get(node.variable) : undefined;
    let alias: string;
    if (existing !== undefined) {
      if (existing.kind !== 'node') throw refuse(`variable '${node.variable}' is a relationship, not a node`);
      alias = existing.alias;
    } else {
      alias = `n${++counter}`;
      from.push(`${s}.nodes ${alias}`);
      where.push(`${alias}.project_id = $1`);
      bindings.set(node.variable ?? `#${alias}`, { kind: 'node', alias });
    }
    const own = ownConditions.get(alias) ?? [];
    for (const label of node.labels) own.push(`${alias}.label = ${param(label, 'text')}`);
    for (const [key, value] of node.properties) own.push(`(${compileExpr({ kind: 'prop', variable: node.variable ?? `#${alias}`, property: key })} = ${compileExpr(value)})`);
    ownConditions.set(alias, own);
    where.push(...own);
    return alias;
  };
  /** Each node's conditions of its own (labels, properties): where a variable-length walk can start. */
  const ownConditions = new Map<string, string[]>();

  // openCypher's relationship uniqueness: within the MATCH, one edge stands for one relationship at most.
  const matched: Array<{ readonly single: string } | { readonly list: string }> = [];
  const distinctFromMatched = (edge: { readonly single: string } | { readonly list: string }): void => {
    for (const other of matched) {
      if ('single' in edge && 'single' in other) where.push(`${edge.single} <> ${other.single}`);
      else if ('single' in edge && 'list' in other) where.push(`not (${edge.single} = any(${other.list}))`);
      else if ('list' in edge && 'single' in other) where.push(`not (${other.single} = any(${edge.list}))`);
      else if ('list' in edge && 'list' in other) where.push(`not (${edge.list} && ${other.list})`);
    }
    matched.push(edge);
  };

  const relationship = (rel: RelPattern, left: string, right: string): void => {
    if (rel.variable !== undefined && bindings.has(rel.variable)) throw refuse(`variable '${rel.variable}' is bound twice`);
    const types = rel.types.length > 0 ? param(rel.types, 'text[]') : undefined;
    if (rel.range === undefined) {
      const alias = `e${++counter}`;
      from.push(`${s}.edges ${alias}`);
      where.push(`${alias}.project_id = $1`);
      if (types !== undefined) where.push(`${alias}.type = any(${types})`);
      where.push(rel.direction === 'out' ? `${alias}.source = ${left}.id and ${alias}.target = ${right}.id`
        : rel.direction === 'in' ? `${alias}.source = ${right}.id and ${alias}.target = ${left}.id`
          : `((${alias}.source = ${left}.id and ${alias}.target = ${right}.id) or (${alias}.source = ${right}.id and ${alias}.target = ${left}.id))`);
      bindings.set(rel.variable ?? `#${alias}`, { kind: 'rel', alias });
      distinctFromMatched({ single: `${alias}.ctid` });
      for (const [key, value] of rel.properties) where.push(`(${compileExpr({ kind: 'prop', variable: rel.variable ?? `#${alias}`, property: key })} = ${compileExpr(value)})`);
      return;
    }
    const { min, max } = rel.range;
    if (max === undefined) throw refuse(`a variable-length relationship needs an upper bound (e.g. *1..3, at most ${MAX_HOPS})`);
    if (max > MAX_HOPS) throw refuse(`a variable-length relationship spans at most ${MAX_HOPS} hops (*${min}..${max} asked)`);
    if (min < 1 || min > max) throw refuse(`*${min}..${max}: the lower bound must be between 1 and the upper bound`);
    if (rel.properties.length > 0) throw refuse('a variable-length relationship takes no property map');
    const name = `p${++counter}`;
    // The walk starts from the end the pattern narrows (its labels or properties): from the left node,
    // or backwards from the right one, or — neither narrowed — from every edge (the timeout bounds it).
    const narrowed = (alias: string): boolean => (ownConditions.get(alias) ?? []).length > 0;
    const backwards = !narrowed(left) && narrowed(right);
    const anchor = backwards ? right : left;
    const seeds = narrowed(anchor)
      ? ` and x.s in (select ${anchor}.id from ${s}.nodes ${anchor} where ${anchor}.project_id = $1 and ${ownConditions.get(anchor)!.join(' and ')})`
      : '';
    // Paths as trails: no edge twice on a path (nodes may repeat), each edge named by its row id.
    const out = `select source as s, target as t, type, ctid as id from ${s}.edges where project_id = $1`;
    const inward = `select target as s, source as t, type, ctid as id from ${s}.edges where project_id = $1`;
    const forward = backwards ? (rel.direction === 'out' ? 'in' : rel.direction === 'in' ? 'out' : 'both') : rel.direction;
    // Either way: each edge both ways round, a self-loop once (as a single undirected relationship matches it).
    const edges = forward === 'out' ? `(${out})` : forward === 'in' ? `(${inward})` : `(${out} union all ${inward} and source <> target)`;
    const typeFilter = types !== undefined ? ` and x.type = any(${types})` : '';
    ctes.push(`${name}(start_id, end_id, depth, edges) as (
      select x.s, x.t, 1, array[x.id] from ${edges} x where true${typeFilter}${seeds}
      union all
      select p.start_id, x.t, p.depth + 1, p.edges || x.id from ${name} p join ${edges} x on x.s = p.end_id
      where p.depth < ${max}${typeFilter} and not (x.id = any(p.edges)))`);
    const alias = `${name}r`;
    from.push(`${name} ${alias}`);
    where.push(`${alias}.start_id = ${anchor}.id and ${alias}.end_id = ${backwards ? left : right}.id and ${alias}.depth >= ${min}`);
    distinctFromMatched({ list: `${alias}.edges` });
    if (rel.variable !== undefined) bindings.set(rel.variable, { kind: 'path', name: rel.variable, alias, reversed: backwards });
  };

  for (const path of query.patterns) {
    let left = nodeAlias(path.nodes[0]!);
    path.rels.forEach((rel, index) => {
      const right = nodeAlias(path.nodes[index + 1]!);
      relationship(rel, left, right);
      left = right;
    });
  }
  if (query.where !== undefined) where.push(compileExpr(query.where));

  const columns = query.returns.map((item) => item.alias ?? item.text);
  const twice = columns.find((column, index) => columns.indexOf(column) !== index);
  if (twice !== undefined) throw refuse(`the column '${twice}' is returned twice: name one differently with AS`);
  const select = query.returns.map((item, index) => `${collated(compileExpr(item.expr), item.expr)} as c${index}`);
  const aggregated = query.returns.some((item) => hasAggregate(item.expr));
  const groupBy = aggregated ? query.returns.map((item, index) => (hasAggregate(item.expr) ? undefined : `c${index}`)).filter((c) => c !== undefined) : [];
  const orderBy = query.orderBy.map(({ expr, descending }) => {
    const text = expr.kind === 'var' ? expr.name : expr.kind === 'prop' ? `${expr.variable}.${expr.property}` : undefined;
    const column = text !== undefined ? columns.indexOf(text) : -1;
    // Nulls sort last ascending, first descending (Postgres' default, and Cypher's); text by code point.
    // (A returned column is collated in the select list: an output column's name cannot stand in an expression here.)
    return `${column >= 0 ? `c${column}` : collated(compileExpr(expr), expr)} ${descending ? 'desc' : 'asc'}`;
  });
  const integer = (expr: Expr | undefined, what: string): number | undefined => {
    if (expr === undefined) return undefined;
    const value = expr.kind === 'literal' ? expr.value : expr.kind === 'param' ? options.parameters[expr.name] : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw refuse(`${what} takes a whole number of at least 0`);
    return value;
  };
  const skip = integer(query.skip, 'SKIP') ?? 0;
  const limit = Math.min(integer(query.limit, 'LIMIT') ?? Number.MAX_SAFE_INTEGER, options.maxRows + 1);

  const sql = [
    ctes.length > 0 ? `with recursive ${ctes.join(',\n')}` : '',
    `select ${query.distinct ? 'distinct ' : ''}${select.join(', ')}`,
    `from ${from.join(', ')}`,
    where.length > 0 ? `where ${where.join(' and ')}` : '',
    groupBy.length > 0 ? `group by ${groupBy.join(', ')}` : '',
    orderBy.length > 0 ? `order by ${orderBy.join(', ')}` : '',
    `limit ${param(limit, 'int')} offset ${param(skip, 'int')}`,
  ].filter((part) => part !== '').join('\n');
  return { sql, params, columns };
}
