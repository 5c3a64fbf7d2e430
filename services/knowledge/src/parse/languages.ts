import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Language, Parser } from '@vscode/tree-sitter-wasm';

/** The languages indexed, each with the tree-sitter grammar shipped (prebuilt, as WASM) in `@vscode/tree-sitter-wasm`. */
export type LanguageName = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go' | 'rust' | 'java';

const EXTENSIONS: Readonly<Record<string, LanguageName>> = {
  '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript', '.tsx': 'tsx',
  '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.jsx': 'javascript',
  '.py': 'python', '.go': 'go', '.rs': 'rust', '.java': 'java',
};

/** The language of a file by its extension (declaration files `.d.ts` are left out: they define nothing that runs). */
export function languageOf(path: string): LanguageName | undefined {
  if (path.endsWith('.d.ts')) return undefined;
  return EXTENSIONS[extname(path).toLowerCase()];
}

let ready: Promise<void> | undefined;
const languages = new Map<LanguageName, Promise<Language>>();

async function load(name: LanguageName): Promise<Language> {
  ready ??= Parser.init();
  await ready;
  const bytes = await readFile(require.resolve(`@vscode/tree-sitter-wasm/wasm/tree-sitter-${name}.wasm`));
  return Language.load(new Uint8Array(bytes));
}

/** A parser for the language (grammars are loaded once per process; a parser per call, as parsers hold state). */
export async function parserFor(name: LanguageName): Promise<Parser> {
  let language = languages.get(name);
  if (language === undefined) {
    language = load(name);
    languages.set(name, language);
  }
  const loaded = await language;
  const parser = new Parser();
  parser.setLanguage(loaded);
  return parser;
}
