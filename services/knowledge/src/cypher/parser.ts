import { EmbeddedActionsParser, Lexer, createToken, type IToken, type TokenType } from 'chevrotain';
import { DomainError, QUERY_NOT_READ_ONLY, QUERY_UNSUPPORTED } from '@cadre/proto';
import type { Expr, NodePattern, PathPattern, Query, RelPattern, ReturnItem } from './ast';

// The lexer and grammar of the read-only subset of Cypher, written for chevrotain.

const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });
const CompareOp = createToken({ name: 'CompareOp', pattern: Lexer.NA });
const keyword = (word: string, pattern?: RegExp, categories?: TokenType[]): TokenType =>
  createToken({ name: word.replace(/\s+/g, '_'), pattern: pattern ?? new RegExp(`${word}\\b`, 'i'), longer_alt: Identifier, ...(categories ? { categories } : {}) });

// Clauses and words the subset refuses: writes and procedures, and reading clauses it does not have.
const WRITE_WORDS = ['CREATE', 'MERGE', 'SET', 'DELETE', 'DETACH', 'REMOVE', 'CALL', 'LOAD', 'FOREACH', 'DROP'];
const UNSUPPORTED_WORDS = ['OPTIONAL', 'WITH', 'UNWIND', 'UNION', 'CASE', 'EXISTS', 'USE', 'SHOW'];
const Write = createToken({ name: 'Write', pattern: Lexer.NA });
const Unsupported = createToken({ name: 'Unsupported', pattern: Lexer.NA });
const writeTokens = WRITE_WORDS.map((word) => createToken({ name: word, pattern: new RegExp(`${word}\\b`, 'i'), longer_alt: Identifier, categories: [Write] }));
const unsupportedTokens = UNSUPPORTED_WORDS.map((word) => createToken({ name: word, pattern: new RegExp(`${word}\\b`, 'i'), longer_alt: Identifier, categories: [Unsupported] }));

const Match = keyword('MATCH');
const Where = keyword('WHERE');
const Return = keyword('RETURN');
const Distinct = keyword('DISTINCT');
const Order = keyword('ORDER');
const By = keyword('BY');
const Skip = keyword('SKIP');
const Limit = keyword('LIMIT');
const Asc = keyword('ASC', /ASC(ENDING)?\b/i);
const Desc = keyword('DESC', /DESC(ENDING)?\b/i);
const As = keyword('AS');
const And = keyword('AND');
const Or = keyword('OR');
const Xor = keyword('XOR');
const Not = keyword('NOT');
const Contains = keyword('CONTAINS', undefined, [CompareOp]);
const Starts = keyword('STARTS');
const Ends = keyword('ENDS');
const With = unsupportedTokens[UNSUPPORTED_WORDS.indexOf('WITH')]!;
const In = keyword('IN', undefined, [CompareOp]);
const Is = keyword('IS');
const Null = keyword('NULL');
const True = keyword('TRUE');
const False = keyword('FALSE');

const StringLiteral = createToken({ name: 'StringLiteral', pattern: /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/ });
const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/ });
const Backquoted = createToken({ name: 'Backquoted', pattern: /`(?:[^`]|``)+`/ });
const Param = createToken({ name: 'Param', pattern: /\$[A-Za-z_][A-Za-z0-9_]*/ });
const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED });
const Comment = createToken({ name: 'Comment', pattern: /\/\/[^\n]*|\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED });
const ArrowRight = createToken({ name: 'ArrowRight', pattern: /->/ });
const ArrowLeft = createToken({ name: 'ArrowLeft', pattern: /<-/ });
const NotEqual = createToken({ name: 'NotEqual', pattern: /<>|!=/, categories: [CompareOp] });
const LessEqual = createToken({ name: 'LessEqual', pattern: /<=/, categories: [CompareOp] });
const GreaterEqual = createToken({ name: 'GreaterEqual', pattern: />=/, categories: [CompareOp] });
const RegexMatch = createToken({ name: 'RegexMatch', pattern: /=~/, categories: [CompareOp] });
const Less = createToken({ name: 'Less', pattern: /</, categories: [CompareOp] });
const Greater = createToken({ name: 'Greater', pattern: />/, categories: [CompareOp] });
const Equal = createToken({ name: 'Equal', pattern: /=/, categories: [CompareOp] });
const DotDot = createToken({ name: 'DotDot', pattern: /\.\./ });
const Dot = createToken({ name: 'Dot', pattern: /\./ });
const Dash = createToken({ name: 'Dash', pattern: /-/ });
const Star = createToken({ name: 'Star', pattern: /\*/ });
const Plus = createToken({ name: 'Plus', pattern: /\+/ });
const Pipe = createToken({ name: 'Pipe', pattern: /\|/ });
const Colon = createToken({ name: 'Colon', pattern: /:/ });
const Comma = createToken({ name: 'Comma', pattern: /,/ });
const Semicolon = createToken({ name: 'Semicolon', pattern: /;/ });
const LParen = createToken({ name: 'LParen', pattern: /\(/ });
const RParen = createToken({ name: 'RParen', pattern: /\)/ });
const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
const RBracket = createToken({ name: 'RBracket', pattern: /]/ });
const LBrace = createToken({ name: 'LBrace', pattern: /\{/ });
const RBrace = createToken({ name: 'RBrace', pattern: /}/ });

const allTokens = [
  WhiteSpace, Comment, Write, Unsupported, CompareOp, ...writeTokens, ...unsupportedTokens,
  Match, Where, Return, Distinct, Order, By, Skip, Limit, Asc, Desc, As, And, Or, Xor, Not, Contains, Starts, Ends, In, Is, Null, True, False,
  Identifier, StringLiteral, NumberLiteral, Backquoted, Param,
  ArrowRight, ArrowLeft, RegexMatch, NotEqual, LessEqual, GreaterEqual, Less, Greater, Equal, DotDot, Dot, Dash, Star, Plus, Pipe, Colon, Comma, Semicolon,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace,
];

const lexer = new Lexer(allTokens, { ensureOptimizations: false, positionTracking: 'onlyStart' });

const OPERATORS: Readonly<Record<string, string>> = { '!=': '<>' };

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
const unquoteString = (image: string): string => image.slice(1, -1)
  .replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_m, escape: string) => {
    if (escape.length === 1) return ESCAPES[escape] ?? escape;
    const code = parseInt(escape.slice(1), 16);
    if (code > 0x10ffff) throw refuse(`\\${escape} is not a character`);
    return String.fromCodePoint(code);
  });

class CypherParser extends EmbeddedActionsParser {
  constructor() {
    super(allTokens, { maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  private name = this.RULE('name', (): string => this.OR([
    { ALT: () => this.CONSUME(Identifier).image },
    { ALT: () => this.CONSUME(Backquoted).image.slice(1, -1).replace(/``/g, '`') },
  ]));

  /** A property key: any word, keywords included (`n.order`, `n.set`). */
  private key = this.RULE('key', (): string => this.OR(allTokens.filter((token) => token !== WhiteSpace && token !== Comment && /^[A-Za-z_]+$/.test(token.name) && token.PATTERN !== Lexer.NA
    && (token === Identifier || token === Backquoted || token.LONGER_ALT !== undefined)).map((token) => ({
    ALT: () => {
      const image = this.CONSUME(token).image;
      return token === Backquoted ? image.slice(1, -1).replace(/``/g, '`') : image;
    },
  }))));

  private properties = this.RULE('properties', (): Array<readonly [string, Expr]> => {
    const found: Array<readonly [string, Expr]> = [];
    this.CONSUME(LBrace);
    this.MANY_SEP({
      SEP: Comma,
      DEF: () => {
        const key = this.SUBRULE(this.key);
        this.CONSUME(Colon);
        const value = this.SUBRULE(this.expression);
        found.push([key, value]);
      },
    });
    this.CONSUME(RBrace);
    return found;
  });

  private node = this.RULE('node', (): NodePattern => {
    this.CONSUME(LParen);
    const variable = this.OPTION(() => this.SUBRULE(this.name));
    const labels: string[] = [];
    this.MANY(() => { this.CONSUME(Colon); labels.push(this.SUBRULE2(this.name)); });
    const properties = this.OPTION2(() => this.SUBRULE(this.properties)) ?? [];
    this.CONSUME(RParen);
    return { ...(variable !== undefined ? { variable } : {}), labels, properties };
  });

  private relDetail = this.RULE('relDetail', (): Omit<RelPattern, 'direction'> => {
    this.CONSUME(LBracket);
    const variable = this.OPTION(() => this.SUBRULE(this.name));
    const types: string[] = [];
    this.OPTION2(() => {
      this.CONSUME(Colon);
      types.push(this.SUBRULE2(this.name));
      this.MANY(() => { this.CONSUME(Pipe); this.OPTION3(() => this.CONSUME2(Colon)); types.push(this.SUBRULE3(this.name)); });
    });
    const range = this.OPTION4(() => {
      this.CONSUME(Star);
      const min = this.OPTION5(() => Number(this.CONSUME(NumberLiteral).image));
      const max = this.OPTION6(() => { this.CONSUME(DotDot); return this.OPTION7(() => Number(this.CONSUME2(NumberLiteral).image)); });
      return { min, max };
    });
    const properties = this.OPTION8(() => this.SUBRULE(this.properties)) ?? [];
    this.CONSUME(RBracket);
    return {
      ...(variable !== undefined ? { variable } : {}), types, properties,
      // `*3` is exactly three; `*2..` and `*` have no upper bound (refused when compiled).
      ...(range !== undefined ? { range: { min: range.min ?? 1, max: range.max === undefined ? (range.min !== undefined ? range.min : undefined) : range.max ?? undefined } } : {}),
    };
  });

  private rel = this.RULE('rel', (): RelPattern => this.OR([
    {
      ALT: () => {
        this.CONSUME(ArrowLeft);
        const detail = this.OPTION(() => this.SUBRULE(this.relDetail));
        this.CONSUME(Dash);
        return { types: [], properties: [], ...detail, direction: 'in' as const };
      },
    },
    {
      ALT: () => {
        this.CONSUME2(Dash);
        const detail = this.OPTION2(() => this.SUBRULE2(this.relDetail));
        const out = this.OR2([
          { ALT: () => { this.CONSUME(ArrowRight); return true; } },
          { ALT: () => { this.CONSUME3(Dash); return false; } },
        ]);
        return { types: [], properties: [], ...detail, direction: out ? 'out' as const : 'both' as const };
      },
    },
  ]));

  private path = this.RULE('path', (): PathPattern => {
    const nodes = [this.SUBRULE(this.node)];
    const rels: RelPattern[] = [];
    this.MANY(() => { rels.push(this.SUBRULE(this.rel)); nodes.push(this.SUBRULE2(this.node)); });
    return { nodes, rels };
  });

  private atom = this.RULE('atom', (): Expr => this.OR([
    { ALT: () => ({ kind: 'literal', value: unquoteString(this.CONSUME(StringLiteral).image) }) },
    { ALT: () => ({ kind: 'literal', value: Number(this.CONSUME(NumberLiteral).image) }) },
    { ALT: () => { this.CONSUME(Dash); return { kind: 'literal', value: -Number(this.CONSUME2(NumberLiteral).image) }; } },
    { ALT: () => { this.CONSUME(True); return { kind: 'literal', value: true }; } },
    { ALT: () => { this.CONSUME(False); return { kind: 'literal', value: false }; } },
    { ALT: () => { this.CONSUME(Null); return { kind: 'literal', value: null }; } },
    { ALT: () => ({ kind: 'param', name: this.CONSUME(Param).image.slice(1) }) },
    {
      ALT: () => {
        this.CONSUME(LBracket);
        const items: Expr[] = [];
        this.MANY_SEP({ SEP: Comma, DEF: () => items.push(this.SUBRULE(this.expression)) });
        this.CONSUME(RBracket);
        return { kind: 'list', items };
      },
    },
    {
      ALT: () => {
        this.CONSUME(LParen);
        const inner = this.SUBRULE2(this.expression);
        this.CONSUME(RParen);
        return inner;
      },
    },
    {
      // A function call: `count(*)`, `count(DISTINCT n)`, `toLower(n.name)`.
      GATE: () => this.LA(2).tokenType === LParen,
      ALT: () => {
        const name = this.SUBRULE(this.name);
        this.CONSUME2(LParen);
        let distinct = false;
        let star = false;
        const args: Expr[] = [];
        this.OR2([
          { ALT: () => { this.CONSUME(Star); star = true; } },
          {
            ALT: () => {
              this.OPTION(() => { this.CONSUME(Distinct); distinct = true; });
              this.MANY_SEP2({ SEP: Comma, DEF: () => args.push(this.SUBRULE3(this.expression)) });
            },
          },
        ]);
        this.CONSUME2(RParen);
        return { kind: 'call', name, distinct, args, star };
      },
    },
    {
      ALT: () => {
        const variable = this.SUBRULE2(this.name);
        const property = this.OPTION2(() => { this.CONSUME(Dot); return this.SUBRULE(this.key); });
        return property !== undefined ? { kind: 'prop', variable, property } : { kind: 'var', name: variable };
      },
    },
  ]));

  private comparison = this.RULE('comparison', (): Expr => {
    const left = this.SUBRULE(this.atom);
    const result = this.OPTION(() => this.OR([
      {
        ALT: () => {
          const image = this.CONSUME(CompareOp).image.toUpperCase();
          const op = (OPERATORS[image] ?? image) as '=' | '<>' | '<' | '<=' | '>' | '>=' | 'CONTAINS' | 'IN' | '=~';
          return { kind: 'compare', op, left, right: this.SUBRULE2(this.atom) } as Expr;
        },
      },
      { ALT: () => { this.CONSUME(Starts); this.CONSUME(With); return { kind: 'compare', op: 'STARTS WITH', left, right: this.SUBRULE3(this.atom) } as Expr; } },
      { ALT: () => { this.CONSUME(Ends); this.CONSUME2(With); return { kind: 'compare', op: 'ENDS WITH', left, right: this.SUBRULE4(this.atom) } as Expr; } },
      {
        ALT: () => {
          this.CONSUME(Is);
          const negated = this.OPTION2(() => this.CONSUME(Not)) !== undefined;
          this.CONSUME(Null);
          return { kind: 'isnull', operand: left, negated } as Expr;
        },
      },
    ]));
    return result ?? left;
  });

  private negation = this.RULE('negation', (): Expr => this.OR([
    { ALT: () => { this.CONSUME(Not); return { kind: 'not', operand: this.SUBRULE(this.negation) } as Expr; } },
    { ALT: () => this.SUBRULE(this.comparison) },
  ]));

  private conjunction = this.RULE('conjunction', (): Expr => {
    let left = this.SUBRULE(this.negation);
    this.MANY(() => { this.CONSUME(And); const right = this.SUBRULE2(this.negation); left = { kind: 'binary', op: 'AND', left, right }; });
    return left;
  });

  private exclusive = this.RULE('exclusive', (): Expr => {
    let left = this.SUBRULE(this.conjunction);
    this.MANY(() => { this.CONSUME(Xor); const right = this.SUBRULE2(this.conjunction); left = { kind: 'binary', op: 'XOR', left, right }; });
    return left;
  });

  expression = this.RULE('expression', (): Expr => {
    let left = this.SUBRULE(this.exclusive);
    this.MANY(() => { this.CONSUME(Or); const right = this.SUBRULE2(this.exclusive); left = { kind: 'binary', op: 'OR', left, right }; });
    return left;
  });

  private returnItem = this.RULE('returnItem', (): ReturnItem => {
    const start = this.LA(1);
    const expr = this.SUBRULE(this.expression);
    const end = this.LA(0);
    const alias = this.OPTION(() => { this.CONSUME(As); return this.SUBRULE(this.name); });
    return { expr, ...(alias !== undefined ? { alias } : {}), text: this.RECORDING_PHASE ? '' : this.source.slice(start.startOffset, (end.endOffset ?? end.startOffset + end.image.length - 1) + 1) };
  });

  source = '';

  query = this.RULE('query', (): Query => {
    const patterns: PathPattern[] = [];
    this.CONSUME(Match);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => patterns.push(this.SUBRULE(this.path)) });
    const where = this.OPTION(() => { this.CONSUME(Where); return this.SUBRULE(this.expression); });
    this.CONSUME(Return);
    const distinct = this.OPTION2(() => this.CONSUME(Distinct)) !== undefined;
    const returns: ReturnItem[] = [];
    this.AT_LEAST_ONE_SEP2({ SEP: Comma, DEF: () => returns.push(this.SUBRULE(this.returnItem)) });
    const orderBy: Array<{ expr: Expr; descending: boolean }> = [];
    this.OPTION3(() => {
      this.CONSUME(Order);
      this.CONSUME(By);
      this.AT_LEAST_ONE_SEP3({
        SEP: Comma,
        DEF: () => {
          const expr = this.SUBRULE2(this.expression);
          const descending = this.OPTION4(() => this.OR([{ ALT: () => { this.CONSUME(Asc); return false; } }, { ALT: () => { this.CONSUME(Desc); return true; } }])) ?? false;
          orderBy.push({ expr, descending });
        },
      });
    });
    const skip = this.OPTION5(() => { this.CONSUME(Skip); return this.SUBRULE(this.atom); });
    const limit = this.OPTION6(() => { this.CONSUME(Limit); return this.SUBRULE2(this.atom); });
    this.OPTION7(() => this.CONSUME(Semicolon));
    return { patterns, ...(where !== undefined ? { where } : {}), distinct, returns, orderBy, ...(skip !== undefined ? { skip } : {}), ...(limit !== undefined ? { limit } : {}) };
  });
}

const parser = new CypherParser();

const refuse = (message: string, details?: unknown): DomainError => new DomainError(QUERY_UNSUPPORTED, message, details);

function clauseOf(tokens: readonly IToken[], index: number): string {
  const word = tokens[index]!.image.toUpperCase();
  const next = tokens[index + 1]?.image.toUpperCase();
  if (word === 'LOAD' && next === 'CSV') return 'LOAD CSV';
  if (word === 'DETACH' && next === 'DELETE') return 'DETACH DELETE';
  if (word === 'OPTIONAL' && next === 'MATCH') return 'OPTIONAL MATCH';
  return word;
}

/**
 * Parses a statement of the subset. A write or procedure clause (CREATE, MERGE, SET, DELETE,
 * REMOVE, CALL, LOAD CSV…) is refused with `query_not_read_only` naming it; a clause the subset
 * lacks, or text that does not parse, with `query_unsupported` naming what and where.
 */
export function parseCypher(text: string): Query {
  const lexed = lexer.tokenize(text);
  if (lexed.errors.length > 0) {
    const error = lexed.errors[0]!;
    throw refuse(`unexpected character '${text.slice(error.offset, error.offset + error.length).slice(0, 20)}' at line ${error.line ?? 1}, column ${error.column ?? 1}`);
  }
  const tokens = lexed.tokens;
  let inMatch = false;
  for (const [index, token] of tokens.entries()) {
    if (token.tokenType === Match) inMatch = true;
    else if (token.tokenType === Where || token.tokenType === Return) inMatch = false;
    if (inMatch && [Match, Comma].includes(tokens[index - 1]?.tokenType as TokenType) && tokens[index + 1]?.tokenType === Equal) {
      throw refuse(`a named path (${token.image} = …) is not supported: return the nodes and relationships of the pattern instead`, { unsupported: 'named path' });
    }
    const property = tokens[index - 1]?.tokenType === Dot;
    if (property) continue;
    if (token.tokenType.CATEGORIES?.includes(Write)) {
      const clause = clauseOf(tokens, index);
      throw new DomainError(QUERY_NOT_READ_ONLY, `${clause} is not allowed: the query language is read-only (MATCH … RETURN)`, { clause });
    }
    if (token.tokenType.CATEGORIES?.includes(Unsupported) && !(token.tokenType === With && ['STARTS', 'ENDS'].includes(tokens[index - 1]?.image.toUpperCase() ?? ''))) {
      const clause = clauseOf(tokens, index);
      throw refuse(`${clause} is not supported: the subset has MATCH, WHERE, RETURN, ORDER BY, SKIP and LIMIT`, { unsupported: clause });
    }
  }
  parser.source = text;
  parser.input = tokens;
  const query = parser.query();
  if (parser.errors.length > 0) {
    const error = parser.errors[0]!;
    const at = error.token.image === '' ? 'at the end' : `at '${error.token.image}' (line ${error.token.startLine ?? 1}, column ${error.token.startColumn ?? 1})`;
    throw refuse(`the query does not parse ${at}: ${error.message.split('\n')[0]}`);
  }
  return query;
}
