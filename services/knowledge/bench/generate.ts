import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A generated TypeScript repository of `files` files in folders of fifty: each file imports two
 * earlier ones and defines three functions and a class with three methods that call each other and
 * the imports — seven symbols and about twelve calls a file.
 */
export function generateRepository(root: string, files: number): void {
  for (let i = 0; i < files; i++) {
    const dir = join(root, 'src', `mod${Math.floor(i / 50)}`);
    mkdirSync(dir, { recursive: true });
    const path = (n: number): string => `../mod${Math.floor(n / 50)}/f${n}`;
    const a = i > 0 ? (i * 7) % i : -1;
    const b = i > 1 ? (i * 13) % i : -1;
    const imports = [a, b].filter((n) => n >= 0 && n !== i).map((n) => `import { parse${n}, Store${n} } from '${path(n)}';`);
    const useA = a >= 0 ? `parse${a}(input);` : '';
    const useB = b >= 0 && b !== a ? `new Store${b}().save(input);` : '';
    writeFileSync(join(dir, `f${i}.ts`), `${[...new Set(imports)].join('\n')}

/** Parses the input of step ${i}. */
export function parse${i}(input: string): string[] {
  ${useA}
  return validate${i}(input.split(','));
}

export function validate${i}(parts: string[]): string[] {
  return parts.filter((part) => format${i}(part).length > 0);
}

function format${i}(part: string): string {
  return part.trim();
}

/** Keeps what step ${i} parsed. */
export class Store${i} {
  private readonly items: string[] = [];
  save(input: string): void {
    this.items.push(...parse${i}(input));
    this.flush();
  }
  flush(): void {
    ${useB}
    this.count();
  }
  count(): number {
    return this.items.length;
  }
}
`);
  }
}
