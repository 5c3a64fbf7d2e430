import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The files of a small repository in six languages, with known symbols, calls, imports and inheritance. */
export const SIX_LANGUAGES: Readonly<Record<string, string>> = {
  'ts/src/shapes.ts': `/** Something drawn. */
export interface Shape { area(): number }
export class Base { describe(): string { return 'base'; } }
export class Circle extends Base implements Shape {
  area(): number { return square(2); }
  describe(): string { return this.area().toString(); }
}
// Multiplies a number by itself.
export function square(x: number): number { return x * x; }
`,
  'ts/src/main.ts': `import { Circle, square as sq } from './shapes';
import * as shapes from './shapes';
export function main(): void { const c = new Circle(); c.describe(); sq(3); shapes.square(4); }
`,
  'js/lib/util.js': 'export function helper() { return 1; }\n',
  'js/app.js': "import { helper } from './lib/util.js';\nclass App { run() { helper(); } }\n",
  'py/pkg/__init__.py': '',
  'py/pkg/models.py': `class Animal:
    def speak(self):
        return self.sound()

    def sound(self):
        return "..."


class Dog(Animal):
    """A dog that barks."""
    def sound(self):
        return "woof"
`,
  'py/app.py': `from pkg.models import Dog
from pkg import models


def run():
    d = Dog()
    models.Animal()
    return d.speak()
`,
  'go/go.mod': 'module example.com/shop\n\ngo 1.22\n',
  'go/store/store.go': `package store

type Item struct{ Name string }

func (i *Item) Price() int { return base() }

func base() int { return 1 }

func New() *Item { return &Item{} }
`,
  'go/main.go': `package main

import "example.com/shop/store"

func main() { it := store.New(); it.Price() }
`,
  'rs/src/main.rs': `mod geometry;
use crate::geometry::{Area, Square};
fn main() { let s = Square::new(2); s.area(); geometry::helper(); }
`,
  'rs/src/geometry.rs': `pub trait Area { fn area(&self) -> u32; }
pub struct Square { side: u32 }
impl Square { pub fn new(side: u32) -> Self { Square { side } } }
impl Area for Square { fn area(&self) -> u32 { helper() * self.side } }
pub fn helper() -> u32 { 1 }
`,
  'java/src/com/acme/Greeter.java': 'package com.acme;\npublic interface Greeter { String greet(String name); }\n',
  'java/src/com/acme/Base.java': 'package com.acme;\npublic abstract class Base { protected String prefix() { return "Hi "; } }\n',
  'java/src/com/acme/app/Main.java': `package com.acme.app;
import com.acme.Greeter;
import com.acme.Base;
public class Main extends Base implements Greeter {
  public String greet(String name) { return prefix() + name; }
  public static void main(String[] args) { new Main().greet("x"); Util.log("y"); }
}
`,
  'java/src/com/acme/app/Util.java': 'package com.acme.app;\nclass Util { static void log(String s) {} }\n',
  // Skipped: a vendored folder, a binary, a file of no indexed language.
  'node_modules/dep/index.js': 'export function vendored() {}\n',
  'assets/logo.js': 'GIF89a\u0000\u0001binary',
  'README.md': '# six languages\n',
};

/**
 * A Go module whose types implement its interfaces implicitly: by all their methods (across files
 * of a package), not by a method of another arity, an unexported method from another package, an
 * interface embedding one from outside the module, a constraint or an empty interface.
 */
export const GO_INTERFACES: Readonly<Record<string, string>> = {
  'kv/go.mod': 'module example.com/kv\n\ngo 1.22\n',
  'kv/store/store.go': `package store

import "fmt"

// Store keeps values by key.
type Store interface {
	Reader
	Put(key, value string) error
}

type Reader interface {
	Get(key string) (string, error)
}

// Closer: no type closes.
type Closer interface{ Close() error }

type Number interface{ ~int | ~float64 }

type Any interface{}

type sealed interface{ seal() }

type Named interface {
	fmt.Stringer
	Name() string
}
`,
  'kv/store/memory.go': `package store

type Memory struct{ data map[string]string }

func (m *Memory) Get(key string) (string, error) { return m.data[key], nil }
`,
  'kv/store/memory_put.go': `package store

func (m *Memory) Put(key, value string) error { m.data[key] = value; return nil }

type inner struct{}

func (inner) seal() {}
`,
  'kv/disk/disk.go': `package disk

import "example.com/kv/store"

type Syncer interface {
	store.Reader
	Sync() error
}

type Disk struct{}

func (d Disk) Get(key string) (string, error) { return "", nil }
func (d Disk) Put(key, value string) error  { return nil }
func (d Disk) Sync() error                  { return nil }
func (d Disk) seal()                        {}

type Partial struct{}

func (p *Partial) Get(key string) (string, error)          { return "", nil }
func (p *Partial) Put(key, value string, sync bool) error { return nil }

type Level int

func (l Level) Get(k string) (v string, err error) { return "", nil }
func (l Level) Name() string                       { return "" }
func (l Level) String() string                     { return "" }
`,
};

/** Writes files under a new temporary folder (a git repository when `git` is true, with one commit). */
export function writeRepository(files: Readonly<Record<string, string>>, options: { git?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'cadre-kg-'));
  writeFiles(root, files);
  if (options.git === true) {
    const git = (...args: string[]): void => { execFileSync('git', args, { cwd: root, stdio: 'ignore' }); };
    git('init', '-q', '-b', 'main');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '-A');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'initial');
  }
  return root;
}

export function writeFiles(root: string, files: Readonly<Record<string, string>>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}
