import { rmSync } from 'node:fs';
import { extractFacts } from '../parse/extract';
import type { FileFacts } from '../parse/facts';
import { languageOf } from '../parse/languages';
import { readSource, scanRepository } from '../parse/scan';
import { GO_INTERFACES, SIX_LANGUAGES, writeRepository } from '../test-support/repo';
import { buildGraph } from './build';
import type { CodeGraph } from './model';

async function graphOf(root: string): Promise<{ graph: CodeGraph; skipped: object }> {
  const scan = await scanRepository(root, 1_000_000);
  const facts = new Map<string, FileFacts>();
  for (const file of scan.files) facts.set(file.path, await extractFacts(languageOf(file.path)!, readSource(root, file.path)!.source));
  return { graph: buildGraph(facts, scan.manifests), skipped: scan.skipped };
}

function edgesOf(graph: CodeGraph, types: readonly string[]): string[] {
  const key = new Map(graph.nodes.map((node) => [node.id, node.label === 'File' ? node.key : `${node.file}#${node.qualified}`]));
  return graph.edges.filter((edge) => types.includes(edge.type))
    .map((edge) => `${key.get(edge.source)} -${edge.type}-> ${key.get(edge.target)} ${edge.confidence} ${edge.reason}`).sort();
}

describe('code graph of a repository in six languages', () => {
  let root: string;
  let graph: CodeGraph;
  let skipped: object;
  beforeAll(async () => {
    root = writeRepository(SIX_LANGUAGES);
    ({ graph, skipped } = await graphOf(root));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('holds exactly the symbols each file defines, with their kinds', () => {
    const symbols = graph.nodes.filter((node) => !['Folder', 'File'].includes(node.label)).map((node) => `${node.file}#${node.qualified}:${node.label}`).sort();
    expect(symbols).toEqual([
      'go/main.go#main:Function',
      'go/store/store.go#Item.Price:Method', 'go/store/store.go#Item:Struct', 'go/store/store.go#New:Function', 'go/store/store.go#base:Function',
      'java/src/com/acme/Base.java#Base.prefix:Method', 'java/src/com/acme/Base.java#Base:Class',
      'java/src/com/acme/Greeter.java#Greeter.greet:Method', 'java/src/com/acme/Greeter.java#Greeter:Interface',
      'java/src/com/acme/app/Main.java#Main.greet:Method', 'java/src/com/acme/app/Main.java#Main.main:Method', 'java/src/com/acme/app/Main.java#Main:Class',
      'java/src/com/acme/app/Util.java#Util.log:Method', 'java/src/com/acme/app/Util.java#Util:Class',
      'js/app.js#App.run:Method', 'js/app.js#App:Class', 'js/lib/util.js#helper:Function',
      'py/app.py#run:Function',
      'py/pkg/models.py#Animal.sound:Method', 'py/pkg/models.py#Animal.speak:Method', 'py/pkg/models.py#Animal:Class',
      'py/pkg/models.py#Dog.sound:Method', 'py/pkg/models.py#Dog:Class',
      'rs/src/geometry.rs#Area.area:Method', 'rs/src/geometry.rs#Area:Trait', 'rs/src/geometry.rs#Square.area:Method',
      'rs/src/geometry.rs#Square.new:Method', 'rs/src/geometry.rs#Square:Struct', 'rs/src/geometry.rs#helper:Function',
      'rs/src/main.rs#main:Function',
      'ts/src/main.ts#main:Function',
      'ts/src/shapes.ts#Base.describe:Method', 'ts/src/shapes.ts#Base:Class', 'ts/src/shapes.ts#Circle.area:Method',
      'ts/src/shapes.ts#Circle.describe:Method', 'ts/src/shapes.ts#Circle:Class', 'ts/src/shapes.ts#Shape:Interface', 'ts/src/shapes.ts#square:Function',
    ]);
  });

  it('resolves calls with their confidence and reason', () => {
    expect(edgesOf(graph, ['CALLS'])).toEqual([
      'go/main.go#main -CALLS-> go/store/store.go#Item.Price 0.5 name-match',
      'go/main.go#main -CALLS-> go/store/store.go#New 0.9 import-resolved',
      'go/store/store.go#Item.Price -CALLS-> go/store/store.go#base 0.95 same-file',
      'java/src/com/acme/app/Main.java#Main.greet -CALLS-> java/src/com/acme/Base.java#Base.prefix 0.5 name-match',
      'java/src/com/acme/app/Main.java#Main.main -CALLS-> java/src/com/acme/Greeter.java#Greeter.greet 0.3 name-match',
      'java/src/com/acme/app/Main.java#Main.main -CALLS-> java/src/com/acme/app/Main.java#Main 0.95 same-file',
      'java/src/com/acme/app/Main.java#Main.main -CALLS-> java/src/com/acme/app/Main.java#Main.greet 0.3 name-match',
      'java/src/com/acme/app/Main.java#Main.main -CALLS-> java/src/com/acme/app/Util.java#Util.log 0.85 same-package',
      'js/app.js#App.run -CALLS-> js/lib/util.js#helper 0.9 import-resolved',
      'py/app.py#run -CALLS-> py/pkg/models.py#Animal 0.9 import-resolved',
      'py/app.py#run -CALLS-> py/pkg/models.py#Animal.speak 0.5 name-match',
      'py/app.py#run -CALLS-> py/pkg/models.py#Dog 0.9 import-resolved',
      'py/pkg/models.py#Animal.speak -CALLS-> py/pkg/models.py#Animal.sound 0.95 same-file',
      'rs/src/geometry.rs#Square.area -CALLS-> rs/src/geometry.rs#helper 0.95 same-file',
      'rs/src/main.rs#main -CALLS-> rs/src/geometry.rs#Area.area 0.3 name-match',
      'rs/src/main.rs#main -CALLS-> rs/src/geometry.rs#Square.area 0.3 name-match',
      'rs/src/main.rs#main -CALLS-> rs/src/geometry.rs#Square.new 0.9 import-resolved',
      'rs/src/main.rs#main -CALLS-> rs/src/geometry.rs#helper 0.9 import-resolved',
      'ts/src/main.ts#main -CALLS-> ts/src/shapes.ts#Base.describe 0.3 name-match',
      'ts/src/main.ts#main -CALLS-> ts/src/shapes.ts#Circle 0.9 import-resolved',
      'ts/src/main.ts#main -CALLS-> ts/src/shapes.ts#Circle.describe 0.3 name-match',
      'ts/src/main.ts#main -CALLS-> ts/src/shapes.ts#square 0.9 import-resolved',
      'ts/src/shapes.ts#Circle.area -CALLS-> ts/src/shapes.ts#square 0.95 same-file',
      'ts/src/shapes.ts#Circle.describe -CALLS-> ts/src/shapes.ts#Circle.area 0.95 same-file',
    ]);
  });

  it('resolves imports to files and inheritance to types', () => {
    expect(edgesOf(graph, ['IMPORTS'])).toEqual([
      'go/main.go -IMPORTS-> go/store/store.go 1 import-resolved',
      'java/src/com/acme/app/Main.java -IMPORTS-> java/src/com/acme/Base.java 1 import-resolved',
      'java/src/com/acme/app/Main.java -IMPORTS-> java/src/com/acme/Greeter.java 1 import-resolved',
      'js/app.js -IMPORTS-> js/lib/util.js 1 import-resolved',
      'py/app.py -IMPORTS-> py/pkg/models.py 1 import-resolved',
      'rs/src/main.rs -IMPORTS-> rs/src/geometry.rs 1 import-resolved',
      'ts/src/main.ts -IMPORTS-> ts/src/shapes.ts 1 import-resolved',
    ]);
    expect(edgesOf(graph, ['EXTENDS', 'IMPLEMENTS'])).toEqual([
      'java/src/com/acme/app/Main.java#Main -EXTENDS-> java/src/com/acme/Base.java#Base 0.9 import-resolved',
      'java/src/com/acme/app/Main.java#Main -IMPLEMENTS-> java/src/com/acme/Greeter.java#Greeter 0.9 import-resolved',
      'py/pkg/models.py#Dog -EXTENDS-> py/pkg/models.py#Animal 0.95 same-file',
      'rs/src/geometry.rs#Square -IMPLEMENTS-> rs/src/geometry.rs#Area 0.95 same-file',
      'ts/src/shapes.ts#Circle -EXTENDS-> ts/src/shapes.ts#Base 0.95 same-file',
      'ts/src/shapes.ts#Circle -IMPLEMENTS-> ts/src/shapes.ts#Shape 0.95 same-file',
    ]);
  });

  it('ties members to their types and keeps doc comments', () => {
    expect(edgesOf(graph, ['MEMBER_OF']).filter((edge) => edge.startsWith('rs/') || edge.startsWith('go/'))).toEqual([
      'go/store/store.go#Item.Price -MEMBER_OF-> go/store/store.go#Item 1 structure',
      'rs/src/geometry.rs#Area.area -MEMBER_OF-> rs/src/geometry.rs#Area 1 structure',
      'rs/src/geometry.rs#Square.area -MEMBER_OF-> rs/src/geometry.rs#Square 1 structure',
      'rs/src/geometry.rs#Square.new -MEMBER_OF-> rs/src/geometry.rs#Square 1 structure',
    ]);
    const doc = (qualified: string): string | undefined => graph.nodes.find((node) => node.qualified === qualified)?.doc;
    expect(doc('Shape')).toBe('Something drawn.');
    expect(doc('square')).toBe('Multiplies a number by itself.');
    expect(doc('Dog')).toBe('A dog that barks.');
  });

  it('skips vendored folders, binaries and other languages, and counts them', () => {
    expect(skipped).toEqual({ tooLarge: 0, binary: 1, vendored: 1, unsupported: 2 });
    expect(graph.nodes.some((node) => node.name === 'vendored')).toBe(false);
  });
});

describe('Go implicit interfaces', () => {
  let root: string;
  let graph: CodeGraph;
  beforeAll(async () => {
    root = writeRepository(GO_INTERFACES);
    ({ graph } = await graphOf(root));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('holds interfaces\' methods as their members', () => {
    expect(edgesOf(graph, ['MEMBER_OF']).filter((edge) => /#(Store|Reader|Closer|sealed|Named|Syncer)\b/.test(edge.split(' -')[1]!))).toEqual([
      'kv/disk/disk.go#Syncer.Sync -MEMBER_OF-> kv/disk/disk.go#Syncer 1 structure',
      'kv/store/store.go#Closer.Close -MEMBER_OF-> kv/store/store.go#Closer 1 structure',
      'kv/store/store.go#Named.Name -MEMBER_OF-> kv/store/store.go#Named 1 structure',
      'kv/store/store.go#Reader.Get -MEMBER_OF-> kv/store/store.go#Reader 1 structure',
      'kv/store/store.go#Store.Put -MEMBER_OF-> kv/store/store.go#Store 1 structure',
      'kv/store/store.go#sealed.seal -MEMBER_OF-> kv/store/store.go#sealed 1 structure',
    ]);
  });

  it('draws IMPLEMENTS from each type that has all of an interface\'s methods (embedded ones too), by name and arity, with its own reason', () => {
    expect(edgesOf(graph, ['IMPLEMENTS'])).toEqual([
      'kv/disk/disk.go#Disk -IMPLEMENTS-> kv/disk/disk.go#Syncer 0.8 method-set',
      'kv/disk/disk.go#Disk -IMPLEMENTS-> kv/store/store.go#Reader 0.8 method-set',
      'kv/disk/disk.go#Disk -IMPLEMENTS-> kv/store/store.go#Store 0.8 method-set',
      'kv/disk/disk.go#Level -IMPLEMENTS-> kv/store/store.go#Reader 0.8 method-set',
      // Put takes three parameters, not two: a Reader only.
      'kv/disk/disk.go#Partial -IMPLEMENTS-> kv/store/store.go#Reader 0.8 method-set',
      // Get and Put in two files of the package.
      'kv/store/memory.go#Memory -IMPLEMENTS-> kv/store/store.go#Reader 0.8 method-set',
      'kv/store/memory.go#Memory -IMPLEMENTS-> kv/store/store.go#Store 0.8 method-set',
      // seal() is unexported: only a type of the package implements sealed (Disk has one too, elsewhere).
      'kv/store/memory_put.go#inner -IMPLEMENTS-> kv/store/store.go#sealed 0.8 method-set',
    ]);
  });
});
