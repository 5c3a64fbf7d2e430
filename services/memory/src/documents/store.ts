import type { Execute } from '../memory/rows';
import { wordsOf } from '../memory/rows';
import type { ParsedSection } from './parse';

/** Writes one section (its full-text vector, and its words for typo correction) in the caller's transaction. */
export async function insertSection(execute: Execute, schema: string, documentId: string, section: ParsedSection): Promise<void> {
  const s = `"${schema}"`;
  await execute(
    `insert into ${s}.document_sections (document_id, id, ordinal, parent_id, level, heading, path, content, search)
     values ($1, $2, $3, $4, $5, $6, $7, $8, setweight(to_tsvector('english', $6), 'A') || setweight(to_tsvector('english', $8), 'C'))`,
    [documentId, section.id, section.ordinal, section.parentId, section.level, section.heading, section.path, section.content],
  );
  await execute(`insert into ${s}.memory_words (word) select unnest($1::text[]) on conflict do nothing`, [wordsOf(section.heading, section.content)]);
}
