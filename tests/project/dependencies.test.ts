import { readdirSync, readFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../config/env';

// What runs in production (the images install `dependencies` only, `npm ci --omit=dev`), and what
// only tests, benches, scripts and the web build use.
const PRODUCTION_DIRS = ['activities', 'api', 'cli', 'client', 'codec-server', 'common', 'config', 'contracts', 'db', 'ingest', 'ml', 'workers', 'workflows', 'bin'];
const DEVELOPMENT_DIRS = ['tests', 'bench', 'scripts', 'web'];
const DEVELOPMENT_FILES = ['vitest.config.ts', 'vitest.chaos.config.ts'];
const SOURCE = /\.(ts|mts|cts|tsx|mjs|cjs|js)$/;
const NOT_SOURCE_DIRS = new Set(['node_modules', 'dist']);

interface Import {
  specifier: string;
  /** file:line, for the failure message. */
  at: string;
}

interface UsedOtherwise {
  reason: string;
  /** Fails when the reason no longer holds, so that a stale entry cannot hide an unused package. */
  stillHolds: () => boolean;
}

/** Declared packages that no import names, each with why it is there all the same. */
const USED_OTHERWISE: Record<string, UsedOtherwise> = {
  '@tensorflow/tfjs-node': {
    reason: 'optional native backend, imported through a variable in ml/tf/backend.ts so that tsc and vite never demand it',
    stillHolds: () => readFileSync(path.join(projectRoot, 'ml/tf/backend.ts'), 'utf8').includes("'@tensorflow/tfjs-node'"),
  },
  'axe-core': {
    reason: "is injected into the browser tests' pages as a script (tests/helpers/browser.ts resolves its axe.min.js), never imported",
    stillHolds: () => readFileSync(path.join(projectRoot, 'tests/helpers/browser.ts'), 'utf8').includes("'axe-core/axe.min.js'"),
  },
  'dependency-cruiser': {
    reason: 'the layering check: npm run check:deps, which scripts/test.sh runs, reads .dependency-cruiser.cjs',
    stillHolds: () => {
      const scripts = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
      return /^depcruise /.test(scripts['check:deps'] ?? '') && readFileSync(path.join(projectRoot, 'scripts/test.sh'), 'utf8').includes('check:deps');
    },
  },
  protobufjs: {
    reason: "pins the hoisted copy to the one @temporalio/common uses, so the SDK's history JSON codec sees one protobufjs",
    stillHolds: () => {
      const fromTemporal = createRequire(path.join(projectRoot, 'node_modules/@temporalio/common/package.json')).resolve('protobufjs');
      return fromTemporal.startsWith(path.join(projectRoot, 'node_modules/protobufjs') + path.sep);
    },
  },
};

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as Manifest;
const dependencies = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})]);
const devDependencies = new Set(Object.keys(manifest.devDependencies ?? {}));

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(projectRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return NOT_SOURCE_DIRS.has(entry.name) ? [] : sourceFiles(relative);
    return SOURCE.test(entry.name) ? [relative] : [];
  });
}

function isImportOrRequire(call: ts.CallExpression): boolean {
  return call.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(call.expression) && call.expression.text === 'require');
}

/**
 * Every module specifier a source names: static and type imports, re-exports, import() and
 * require() with a literal, and import('x') types. Parsed, not grepped: comments and strings
 * that look like imports do not count.
 */
export function importsOf(file: string, text: string): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (literal: ts.Node) => {
    if (!ts.isStringLiteralLike(literal)) return;
    const { line } = source.getLineAndCharacterOfPosition(literal.getStart());
    found.push({ specifier: literal.text, at: `${file}:${line + 1}` });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && isImportOrRequire(node) && node.arguments[0]) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The package a specifier loads ('@scope/name' or 'name'), or null for builtins and local files. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || path.isAbsolute(specifier) || specifier.startsWith('node:') || isBuiltin(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Package name -> where it is imported. */
function packagesImportedBy(files: string[]): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of files) {
    for (const { specifier, at } of importsOf(file, readFileSync(path.join(projectRoot, file), 'utf8'))) {
      const name = packageOf(specifier);
      if (name) used.set(name, [...(used.get(name) ?? []), at]);
    }
  }
  return used;
}

function undeclared(used: Map<string, string[]>, declared: Set<string>): string[] {
  return [...used].filter(([name]) => !declared.has(name)).map(([name, at]) => `${name} (${at.join(', ')})`);
}

/** @types/x is used when x is; @types/node when any builtin is (tsconfig's "types" loads it). */
function typesPackageUsed(name: string, imported: Set<string>): boolean {
  const typed = name.slice('@types/'.length);
  if (typed === 'node') return true;
  return imported.has(typed.includes('__') ? `@${typed.replace('__', '/')}` : typed);
}

const productionFiles = PRODUCTION_DIRS.flatMap(sourceFiles);
const developmentFiles = [...DEVELOPMENT_DIRS.flatMap(sourceFiles), ...DEVELOPMENT_FILES];
const usedInProduction = packagesImportedBy(productionFiles);
const usedInDevelopment = packagesImportedBy(developmentFiles);
const usedAnywhere = new Set([...usedInProduction.keys(), ...usedInDevelopment.keys()]);

describe('the packages the code imports are the ones package.json declares', () => {
  it('finds every form of import, and reduces it to its package', () => {
    const text = [
      "import a from 'pkg-default';",
      "import type { B } from '@scope/typed/sub/path';",
      "export { c } from 'reexported';",
      "export * from './local';",
      "import 'side-effect';",
      "const d = await import('dynamic');",
      "const e = require('required/deep');",
      "type F = import('type-import').F;",
      "import fs from 'node:fs'; import os from 'os';",
      "// import x from 'in-a-comment'",
      "const s = \"import y from 'in-a-string'\";",
    ].join('\n');
    const names = importsOf('example.ts', text).map((i) => packageOf(i.specifier)).filter((n) => n !== null);
    expect(names).toEqual(['pkg-default', '@scope/typed', 'reexported', 'side-effect', 'dynamic', 'required', 'type-import']);
    expect(undeclared(new Map([['left-pad', ['x.ts:1']]]), dependencies)).toEqual(['left-pad (x.ts:1)']);
  });

  it('scans the production and the development sources', () => {
    expect(productionFiles).toContain('bin/ecgflow.mjs');
    expect(productionFiles).toContain('workflows/index.ts');
    expect(developmentFiles).toContain('tests/project/dependencies.test.ts');
    expect(developmentFiles.some((f) => f.startsWith('web/src/'))).toBe(true);
    expect(developmentFiles.some((f) => f.startsWith('web/dist/'))).toBe(false);
    expect(usedInProduction.has('@temporalio/workflow')).toBe(true);
  });

  it('imports in production code only packages of dependencies or optionalDependencies', () => {
    // A devDependency here would be missing from the images, which install without them.
    expect(undeclared(usedInProduction, dependencies)).toEqual([]);
  });

  it('imports in tests, benches, scripts and the web pages only declared packages', () => {
    expect(undeclared(usedInDevelopment, new Set([...dependencies, ...devDependencies]))).toEqual([]);
  });

  it('uses every dependency in production code (else it belongs in devDependencies, or nowhere)', () => {
    const unused = [...dependencies].filter((name) => !usedInProduction.has(name) && !USED_OTHERWISE[name]);
    expect(unused).toEqual([]);
  });

  it('uses every devDependency somewhere', () => {
    const unused = [...devDependencies].filter(
      (name) => !usedAnywhere.has(name) && !USED_OTHERWISE[name] && !(name.startsWith('@types/') && typesPackageUsed(name, usedAnywhere)),
    );
    expect(unused).toEqual([]);
  });

  it('keeps no package in the allow-list that is imported, undeclared, or whose reason no longer holds', () => {
    for (const [name, entry] of Object.entries(USED_OTHERWISE)) {
      expect(dependencies.has(name) || devDependencies.has(name), `${name} is allow-listed but not declared`).toBe(true);
      expect(usedAnywhere.has(name), `${name} is imported after all; drop its allow-list entry`).toBe(false);
      expect(entry.stillHolds(), `${name}: no longer true that it ${entry.reason}`).toBe(true);
    }
  });

  it('declares each package once, not both as a dependency and as a devDependency', () => {
    expect([...devDependencies].filter((name) => dependencies.has(name))).toEqual([]);
  });
});

describe('third-party code kept in the tree', () => {
  it('names every file that carries a licence header of its own in NOTICE', () => {
    const notice = readFileSync(path.join(projectRoot, 'NOTICE'), 'utf8');
    const licensed = [...productionFiles, ...developmentFiles].filter((file) =>
      /^\s*\/\*\*?[\s*]*@license\b/.test(readFileSync(path.join(projectRoot, file), 'utf8')),
    );
    expect(licensed).toContain('ml/drift/kolmogorov.ts');
    for (const file of licensed) expect(notice, `NOTICE does not name ${file}`).toContain(file);
    expect(notice).toMatch(/Apache License, Version 2\.0/);
  });
});
