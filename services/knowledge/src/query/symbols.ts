import { AMBIGUOUS_SYMBOL, DomainError, NotFoundError } from '@cadre/proto';
import type { Pool } from 'pg';

export interface NodeRow {
  readonly id: number;
  readonly label: string;
  readonly name: string;
  readonly qualified: string;
  readonly file: string | null;
  readonly start_line: number | null;
  readonly end_line: number | null;
  readonly signature: string;
  readonly doc: string;
  readonly community: number | null;
  readonly props: Record<string, unknown>;
}

export const NODE_COLUMNS = 'n.id, n.label, n.name, n.qualified, n.file, n.start_line, n.end_line, n.signature, n.doc, n.community, n.props';

/** A node as the API shows it. */
export function symbolView(row: NodeRow) {
  return {
    id: row.id, label: row.label as never, name: row.name, qualified_name: row.qualified, file: row.file,
    start_line: row.start_line, end_line: row.end_line, signature: row.signature, doc: row.doc, community: row.community,
  };
}

const NOT_SYMBOL = `n.label not in ('Folder', 'File', 'Community', 'Process')`;

/**
 * The one symbol a name denotes: `path#Qualified.name`, a qualified name, or a bare name (narrowed
 * by `file`). None: 404. Several: 409 `ambiguous_symbol` listing the candidates.
 */
export async function findSymbol(pool: Pool, schema: string, projectId: string, symbol: string, file?: string): Promise<NodeRow> {
  const hash = symbol.indexOf('#');
  const [path, name] = hash > 0 ? [symbol.slice(0, hash), symbol.slice(hash + 1)] : [file, symbol];
  const { rows } = await pool.query<NodeRow>(
    `select ${NODE_COLUMNS} from "${schema}".nodes n
     where n.project_id = $1 and ${NOT_SYMBOL} and (n.qualified = $2 or n.name = $2) and ($3::text is null or n.file = $3)
     order by (n.qualified = $2) desc, n.file, n.start_line limit 51`,
    [projectId, name, path ?? null],
  );
  const exact = rows.filter((row) => row.qualified === name);
  const candidates = exact.length > 0 ? exact : rows;
  if (candidates.length === 0) throw new NotFoundError(`no symbol '${symbol}' in the graph of project '${projectId}'${path ? ` (in ${path})` : ''}`);
  if (candidates.length > 1) {
    throw new DomainError(AMBIGUOUS_SYMBOL, `'${symbol}' names ${candidates.length > 50 ? 'over 50' : candidates.length} symbols: give its file or qualified name`, {
      candidates: candidates.slice(0, 50).map((row) => ({ qualified_name: row.qualified, label: row.label, file: row.file, line: row.start_line, symbol: `${row.file}#${row.qualified}` })),
    });
  }
  return candidates[0]!;
}
