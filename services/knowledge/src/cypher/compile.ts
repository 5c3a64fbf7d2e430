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

type Binding = { readonly kind: 'node'; readonly alias: string } | { readonly kind: 'rel'; readonly alias: string } | { readonly kind: 'path' };

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
    if (Array.isArray(value)) return value.every((item) => typeof item === 'number') ? param(value, 'float8[]') : param(value.map(String), 'text[]');
    throw refuse('a parameter must be a string, a number, a boolean, null or a list');
  };

  const nodeObject = (alias: string): string =>
    `jsonb_build_object('id', ${alias}.id, 'label', ${alias}.label, 'name', ${alias}.name, 'qualified_name', ${alias}.qualified, 'file', ${alias}.file, 'start_line', ${alias}.start_line)`;
  const relObject = (alias: string): string => `jsonb_build_object('type', ${alias}.type, 'confidence', round(${alias}.confidence::numeric, 4)::float8, 'reason', ${alias}.reason)`;

  const bound = (name: string): Exclude<Binding, { kind: 'path' }> => {
    const binding = bindings.get(name);
    if (binding === undefined) throw refuse(`variable '${name}' is not defined by the MATCH`);
    if (binding.kind === 'path') throw refuse(`variable '${name}' names a variable-length relationship: it can be matched, not returned or compared`);
    return binding;
  };

  const compileExpr = (expr: Expr, inAggregate = false): string => {
    switch (expr.kind) {
      case 'literal': return literal(expr.value);
      case 'list': return `array[${expr.items.map((item) => compileExpr(item)).join(', ')}]`;
      case 'param': {
        if (!(expr.name in options.parameters)) throw new ValidationError(`parameter $${expr.name} is used but not given`, { fields: { parameters: `missing ${expr.name}` } });
        return literal(options.parameters[expr.name]);
      }
      case 'var': {
        const binding = bound(expr.name);
        if (binding.kind === 'node') return inAggregate ? `${binding.alias}.id` : nodeObject(binding.alias);
        return inAggregate ? `${binding.alias}.ctid` : relObject(binding.alias);
      }
      case 'prop': {
        const binding = bound(expr.variable);
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
        const left = compileExpr(expr.left);
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
      case 'sum': return `sum(${distinct}${arg()})::float8`;
      case 'avg': return `avg(${distinct}${arg()})::float8`;
      case 'min': return `min(${arg()})`;
      case 'max': return `max(${arg()})`;
      case 'collect': return `coalesce(jsonb_agg(${distinct}${arg()}), '[]'::jsonb)`;
      case 'tolower': return `lower(${arg()})`;
      case 'toupper': return `upper(${arg()})`;
      case 'size': return `length(${arg()})`;
      case 'id': { const value = expr.args[0]; if (value?.kind !== 'var') throw refuse('id() takes a node'); const b = bound(value.name); if (b.kind !== 'node') throw refuse('id() takes a node'); return `${b.alias}.id`; }
      case 'labels': { const value = expr.args[0]; if (value?.kind !== 'var') throw refuse('labels() takes a node'); const b = bound(value.name); if (b.kind !== 'node') throw refuse('labels() takes a node'); return `jsonb_build_array(${b.alias}.label)`; }
      case 'type': { const value = expr.args[0]; if (value?.kind !== 'var') throw refuse('type() takes a relationship'); const b = bound(value.name); if (b.kind !== 'rel') throw refuse('type() takes a relationship'); return `${b.alias}.type`; }
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
    for (const label of node.labels) where.push(`${alias}.label = ${param(label, 'text')}`);
    for (const [key, value] of node.properties) where.push(`(${compileExpr({ kind: 'prop', variable: node.variable ?? `#${alias}`, property: key })} = ${compileExpr(value)})`);
    return alias;
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
      for (const [key, value] of rel.properties) where.push(`(${compileExpr({ kind: 'prop', variable: rel.variable ?? `#${alias}`, property: key })} = ${compileExpr(value)})`);
      return;
    }
    const { min, max } = rel.range;
    if (max === undefined) throw refuse(`a variable-length relationship needs an upper bound (e.g. *1..3, at most ${MAX_HOPS})`);
    if (max > MAX_HOPS) throw refuse(`a variable-length relationship spans at most ${MAX_HOPS} hops (*${min}..${max} asked)`);
    if (min < 1 || min > max) throw refuse(`*${min}..${max}: the lower bound must be between 1 and the upper bound`);
    if (rel.properties.length > 0) throw refuse('a variable-length relationship takes no property map');
    const name = `p${++counter}`;
    const out = `select source as s, target as t, type from ${s}.edges where project_id = $1`;
    const inward = `select target as s, source as t, type from ${s}.edges where project_id = $1`;
    const edges = rel.direction === 'out' ? `(${out})` : rel.direction === 'in' ? `(${inward})` : `(${out} union all ${inward})`;
    const typeFilter = types !== undefined ? ` and x.type = any(${types})` : '';
    ctes.push(`${name}(start_id, end_id, depth, path) as (
      select x.s, x.t, 1, array[x.s, x.t] from ${edges} x where true${typeFilter}
      union all
      select p.start_id, x.t, p.depth + 1, p.path || x.t from ${name} p join ${edges} x on x.s = p.end_id
      where p.depth < ${max}${typeFilter} and not (x.t = any(p.path)))`);
    const alias = `${name}r`;
    from.push(`${name} ${alias}`);
    where.push(`${alias}.start_id = ${left}.id and ${alias}.end_id = ${right}.id and ${alias}.depth >= ${min}`);
    if (rel.variable !== undefined) bindings.set(rel.variable, { kind: 'path' });
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
  const select = query.returns.map((item, index) => `${compileExpr(item.expr)} as c${index}`);
  const aggregated = query.returns.some((item) => hasAggregate(item.expr));
  const groupBy = aggregated ? query.returns.map((item, index) => (hasAggregate(item.expr) ? undefined : `c${index}`)).filter((c) => c !== undefined) : [];
  const orderBy = query.orderBy.map(({ expr, descending }) => {
    const text = expr.kind === 'var' ? expr.name : expr.kind === 'prop' ? `${expr.variable}.${expr.property}` : undefined;
    const column = text !== undefined ? columns.indexOf(text) : -1;
    return `${column >= 0 ? `c${column}` : compileExpr(expr)} ${descending ? 'desc' : 'asc'} nulls last`;
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
