import MarkdownIt from 'markdown-it';
import TurndownService from 'turndown';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ValidationError } from '@cadre/proto';

export type DocumentFormat = 'markdown' | 'text' | 'html' | 'pdf';

/** One section of a document: the text under a heading, up to the next heading. */
export interface ParsedSection {
  readonly id: string;
  readonly ordinal: number;
  readonly parentId: string | null;
  readonly level: number;
  readonly heading: string;
  /** Headings from the top down to this one. */
  readonly path: readonly string[];
  readonly content: string;
}

export interface ParsedDocument {
  readonly title: string;
  readonly format: DocumentFormat;
  readonly sections: readonly ParsedSection[];
}

/** The format a file's name or first bytes say. */
export function detectFormat(name: string, bytes: Buffer): DocumentFormat {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  if (ext === 'pdf' || bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (ext === 'md' || ext === 'markdown' || ext === 'mdx') return 'markdown';
  if (ext === 'html' || ext === 'htm' || ext === 'xhtml') return 'html';
  return 'text';
}

interface Heading {
  readonly level: number;
  readonly heading: string;
  readonly content: string;
}

/** Numbers the headings and gives each its path and parent. Text before the first heading is a section of its own, level 0. */
function sectionsOf(headings: readonly Heading[]): ParsedSection[] {
  const sections: ParsedSection[] = [];
  const stack: ParsedSection[] = [];
  for (const h of headings) {
    if (h.level === 0 && h.content.trim() === '') continue;
    while (stack.length > 0 && stack.at(-1)!.level >= h.level) stack.pop();
    const parent = h.level === 0 ? undefined : stack.at(-1);
    const section: ParsedSection = {
      id: `s${sections.length + 1}`, ordinal: sections.length + 1, parentId: parent?.id ?? null, level: h.level,
      heading: h.heading, path: [...(parent?.path ?? []), h.heading], content: h.content.trim(),
    };
    sections.push(section);
    if (h.level > 0) stack.push(section);
  }
  return sections;
}

const plain = (text: string) => text.replace(/[*_`~]/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').trim();

const markdownIt = new MarkdownIt();

/** Markdown headings (ATX and setext, not inside code) and the source lines under each, up to the next one. */
function parseMarkdown(text: string, fallbackTitle: string): { title: string; headings: Heading[] } {
  const lines = text.split('\n');
  const tokens = markdownIt.parse(text, {});
  const found: Array<{ level: number; heading: string; start: number; end: number }> = [];
  tokens.forEach((token, i) => {
    if (token.type !== 'heading_open' || token.map === null) return;
    const inline = tokens[i + 1];
    found.push({ level: Number(token.tag.slice(1)), heading: plain(inline?.content ?? '') || '(untitled)', start: token.map[0], end: token.map[1] });
  });
  const headings: Heading[] = [{ level: 0, heading: '(preamble)', content: lines.slice(0, found[0]?.start ?? lines.length).join('\n') }];
  found.forEach((h, i) => {
    headings.push({ level: h.level, heading: h.heading, content: lines.slice(h.end, found[i + 1]?.start ?? lines.length).join('\n') });
  });
  const firstTop = found.find((h) => h.level === 1);
  return { title: firstTop?.heading ?? fallbackTitle, headings };
}

/** Plain text: a section per run of paragraphs up to about 2,000 characters ("Part 1", "Part 2", …). */
function parseText(text: string): Heading[] {
  const parts: Heading[] = [];
  let current = '';
  for (const paragraph of text.split(/\n\s*\n/)) {
    if (current !== '' && current.length + paragraph.length > 2000) {
      parts.push({ level: 1, heading: `Part ${parts.length + 1}`, content: current });
      current = '';
    }
    current += `${paragraph}\n\n`;
  }
  if (current.trim() !== '') parts.push({ level: 1, heading: `Part ${parts.length + 1}`, content: current });
  return parts;
}

interface OutlineItem {
  readonly title: string;
  readonly items?: readonly OutlineItem[] | null;
}

function flattenOutline(items: readonly OutlineItem[] | null | undefined, level = 1): Array<{ level: number; title: string }> {
  return (items ?? []).flatMap((item) => [{ level, title: item.title.trim() }, ...flattenOutline(item.items, level + 1)]);
}

interface PdfText {
  readonly title: string;
  readonly outline: readonly OutlineItem[];
  readonly pages: ReadonlyArray<{ readonly num: number; readonly text: string }>;
}

/** The worker script, beside `src` and `dist` alike (both two folders below the package). */
const PDF_WORKER = join(__dirname, '..', '..', 'workers', 'pdf-text.cjs');

/** Reads a PDF in a worker thread, ended after `timeoutMs`; an unreadable PDF is a 400. */
function readPdf(bytes: Buffer, timeoutMs: number): Promise<PdfText> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PDF_WORKER, { workerData: bytes, execArgv: [] });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new ValidationError(`the PDF could not be read within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    worker.once('message', (message: ({ ok: true } & PdfText) | { ok: false; error: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (message.ok) resolve(message);
      else reject(new ValidationError(`the PDF cannot be read: ${message.error}`.slice(0, 300)));
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(new ValidationError(`the PDF cannot be read: ${error.message}`.slice(0, 300)));
    });
  });
}

/**
 * A PDF's text, cut into sections at its outline's headings (the bookmarks a writer put in),
 * found in reading order as lines of the text; without an outline, a section per page.
 */
async function parsePdf(bytes: Buffer, fallbackTitle: string, timeoutMs: number): Promise<{ title: string; headings: Heading[] }> {
  const pdf = await readPdf(bytes, timeoutMs);
  const title = pdf.title.trim() || fallbackTitle;
  const outline = flattenOutline(pdf.outline);
  if (outline.length === 0) return { title, headings: pdf.pages.map((page) => ({ level: 1, heading: `Page ${page.num}`, content: page.text })) };
  const lines = pdf.pages.map((page) => page.text).join('\n').split('\n');
  const headings: Heading[] = [{ level: 0, heading: '(preamble)', content: '' }];
  let next = 0;
  for (const line of lines) {
    const wanted = outline[next];
    if (wanted !== undefined && line.trim() === wanted.title) {
      headings.push({ level: wanted.level, heading: wanted.title, content: '' });
      next++;
      continue;
    }
    const last = headings.at(-1)!;
    headings[headings.length - 1] = { ...last, content: `${last.content}${line}\n` };
  }
  return { title, headings };
}

const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced' }).remove(['head', 'title', 'script', 'style', 'noscript']);

/** Parses a document into its title and sections; what cannot be parsed is a 400 naming why. */
export async function parseDocument(name: string, format: DocumentFormat, bytes: Buffer, title?: string, pdfTimeoutMs = 30_000): Promise<ParsedDocument> {
  const fallback = title ?? name.replace(/\.[a-z0-9]+$/i, '');
  if (format === 'pdf') {
    const parsed = await parsePdf(bytes, fallback, pdfTimeoutMs);
    return { title: title ?? parsed.title, format, sections: sectionsOf(parsed.headings) };
  }
  const text = bytes.toString('utf8');
  if (text.includes('\u0000')) throw new ValidationError(`the ${format} document is not text (it holds NUL bytes)`);
  if (format === 'text') return { title: fallback, format, sections: sectionsOf(parseText(text)) };
  const markdown = format === 'html' ? turndown.turndown(text) : text;
  const parsed = parseMarkdown(markdown, fallback);
  const htmlTitle = format === 'html' ? /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim() : undefined;
  return { title: title ?? (htmlTitle || parsed.title), format, sections: sectionsOf(parsed.headings) };
}
