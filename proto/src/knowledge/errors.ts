import { defineErrorCode } from '../errors';

// Codes of the knowledge domain (the code knowledge graph).

/** The project has no graph yet: index it first (`POST …/knowledge-graph/index`). */
export const GRAPH_NOT_INDEXED = defineErrorCode('graph_not_indexed', { kind: 'conflict' });
/** A symbol name matches several symbols; details list the candidates (pass `file` or a qualified name). */
export const AMBIGUOUS_SYMBOL = defineErrorCode('ambiguous_symbol', { kind: 'conflict' });
/** The project names no repository, or one that cannot be read or cloned. */
export const REPOSITORY_UNAVAILABLE = defineErrorCode('repository_unavailable', { kind: 'unprocessable' });
/** A query-language statement that writes or calls a procedure: the language is read-only. */
export const QUERY_NOT_READ_ONLY = defineErrorCode('query_not_read_only', { kind: 'validation_failed' });
/** A query-language statement that does not parse, or uses what the subset does not support. */
export const QUERY_UNSUPPORTED = defineErrorCode('query_unsupported', { kind: 'validation_failed' });
/** A query-language statement ran past its time limit and was stopped (the statement's doing: retrying it will not help). */
export const QUERY_TIMEOUT = defineErrorCode('query_timeout', { kind: 'unprocessable' });
