import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import { MEMORY_TYPES, ValidationError, type MemoryType } from '@cadre/proto';
import { parse as parseYaml } from 'yaml';

export interface ImportFileInput {
  readonly name: string;
  readonly content: string;
}

/** A file of an import as a memory. */
export interface ImportedMemory {
  readonly memoryId: string;
  readonly title: string;
  readonly body: string;
  readonly type: MemoryType;
  readonly tags: string[];
}

/** The markdown files of a zip (folders kept in the names; other files and macOS metadata skipped). */
export function filesOfZip(base64: string, maxFiles: number): ImportFileInput[] {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(Buffer.from(base64, 'base64'), { filter: (file) => /\.(md|markdown)$/i.test(file.name) && !file.name.startsWith('__MACOSX/') });
  } catch (error) {
    throw new ValidationError(`zip_base64 is not a zip archive (${error instanceof Error ? error.message : String(error)})`);
  }
  const files = Object.entries(entries).map(([name, bytes]) => ({ name, content: Buffer.from(bytes).toString('utf8') }));
  if (files.length > maxFiles) throw new ValidationError(`the zip holds ${files.length} markdown files; at most ${maxFiles}`);
  return files;
}

const asType = (value: unknown): MemoryType | undefined =>
  typeof value === 'string' && (MEMORY_TYPES as readonly string[]).includes(value.toLowerCase()) ? (value.toLowerCase() as MemoryType) : undefined;

/**
 * A markdown file as a memory: front matter (`title`, `type`, `tags`) when there is some, else
 * the first `# heading` as the title (or the file name), and `#tags` are not guessed. The id is
 * fixed by the owner, vault and file name, so importing the same folder again — or resuming an
 * import a crash cut short — saves each memory once.
 */
export function memoryOfFile(file: ImportFileInput, owner: string | undefined, agentId: string): ImportedMemory {
  let body = file.content.replace(/^\uFEFF/, '');
  let front: Record<string, unknown> = {};
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(body);
  if (match) {
    try {
      const parsed: unknown = parseYaml(match[1]!);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) front = parsed as Record<string, unknown>;
    } catch {
      throw new ValidationError(`${file.name}: its front matter is not YAML`);
    }
    body = body.slice(match[0].length);
  }
  const heading = /^#\s+(.+)$/m.exec(body)?.[1]?.trim();
  const base = file.name.split('/').pop()!.replace(/\.(md|markdown)$/i, '');
  const title = (typeof front.title === 'string' && front.title.trim()) || heading || base;
  const rawTags = Array.isArray(front.tags) ? front.tags : typeof front.tags === 'string' ? front.tags.split(/[,\s]+/) : [];
  const tags = rawTags.map(String).map((t) => t.trim()).filter((t) => t !== '' && !/[\s,]/.test(t)).slice(0, 50);
  const digest = createHash('sha256').update(`${owner ?? ''}\u0000${agentId}\u0000${file.name}`).digest('hex').slice(0, 32);
  return { memoryId: `imp-${digest}`, title: title.slice(0, 300), body: body.trim(), type: asType(front.type) ?? 'fact', tags };
}
