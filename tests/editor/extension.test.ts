/**
 * Editor support: the TextMate grammars highlight both dialects as the assertion files in
 * tests/editor/ say (run with vscode-tmgrammar-test through the extension's own package.json,
 * so its grammar contributions are what is tested), and the VS Code extension in
 * editors/vscode/ is consistent: its paths exist, its scope names and file extensions are the
 * grammars', its grammar copies are current and its language configuration fits the lexer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TokenType } from 'chevrotain';
import { parse, type ParseError } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { Comment, LBracket, LCurly, LParen, RBracket, RCurly, RParen } from '../../src/language/tokens.js';
import { ROOT } from '../helpers.js';

const EXTENSION = join(ROOT, 'editors/vscode');
const MANIFEST = join(EXTENSION, 'package.json');

interface Manifest {
  name: string;
  publisher: string;
  engines: { vscode: string };
  contributes: {
    languages: { id: string; aliases: string[]; extensions: string[]; configuration: string; firstLine?: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
  };
}

interface LanguageConfiguration {
  comments: { lineComment: string };
  brackets: [string, string][];
  autoClosingPairs: { open: string; close: string; notIn?: string[] }[];
  surroundingPairs: [string, string][];
  folding: { markers: { start: string; end: string } };
  wordPattern: string;
  indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
}

/** VS Code reads these files as JSON with comments; so does this test, reporting any error. */
function readJsonc<T>(path: string): T {
  const errors: ParseError[] = [];
  const value = parse(readFileSync(path, 'utf8'), errors, { allowTrailingComma: false }) as T;
  expect(errors, `${path} is not valid JSON`).toEqual([]);
  return value;
}

const manifest = () => readJsonc<Manifest>(MANIFEST);
const grammarOf = (rel: string) => JSON.parse(readFileSync(resolve(EXTENSION, rel), 'utf8')) as { scopeName: string; fileTypes: string[]; firstLineMatch?: string };

/** Runs vscode-tmgrammar-test (the installed dev dependency) on assertion files. */
function grammarTest(patterns: string[]): { status: number | null; output: string } {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('vscode-tmgrammar-test/package.json')), 'dist/unit.js');
  const r = spawnSync(process.execPath, [bin, '--config', MANIFEST, '--compact', ...patterns], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('TextMate grammar assertions (vscode-tmgrammar-test)', () => {
  const files = readdirSync(join(ROOT, 'tests/editor'))
    .filter((f) => /\.test\.(nnspec|prototxt)$/.test(f))
    .sort();

  it('covers both dialects', () => {
    expect(files.some((f) => f.endsWith('.nnspec'))).toBe(true);
    expect(files.some((f) => f.endsWith('.prototxt'))).toBe(true);
  });

  it('every assertion file passes', () => {
    const r = grammarTest(files.map((f) => `tests/editor/${f}`));
    expect(r.output).not.toMatch(/failed|missing required scopes|ERROR/i);
    expect(r.status, r.output).toBe(0);
  });

  it('a wrong assertion fails (the harness can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnspec-tm-'));
    const file = join(dir, 'wrong.test.nnspec');
    writeFileSync(file, '# SYNTAX TEST "source.nnspec" "a deliberate mistake"\nConv { out: 20 }\n# <---- comment.line.number-sign.nnspec\n');
    const r = grammarTest([file]);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/missing required scopes/i);
  });
});

describe('editors/vscode', () => {
  it('has a manifest VS Code accepts: name, publisher, engine, languages and grammars', () => {
    const m = manifest();
    expect(m.name).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    expect(m.publisher).toMatch(/^[a-z0-9][a-z0-9-]*$/i);
    expect(m.engines.vscode).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(m.contributes.languages.map((l) => l.id).sort()).toEqual(['nnspec', 'prototxt']);
  });

  it('points at files that exist, inside the extension folder', () => {
    const m = manifest();
    const paths = [...m.contributes.languages.map((l) => l.configuration), ...m.contributes.grammars.map((g) => g.path)];
    for (const rel of paths) {
      expect(rel, `${rel} must be relative to the extension (./…)`).toMatch(/^\.\//);
      const full = resolve(EXTENSION, rel);
      expect(full.startsWith(`${EXTENSION}/`), `${rel} leaves the extension folder (vsce would not package it)`).toBe(true);
      expect(existsSync(full), `${rel} does not exist`).toBe(true);
    }
    expect(existsSync(join(EXTENSION, 'README.md'))).toBe(true);
  });

  it("declares each grammar with the grammar's own scope name, for a declared language", () => {
    const m = manifest();
    const ids = new Set(m.contributes.languages.map((l) => l.id));
    for (const g of m.contributes.grammars) {
      expect(ids.has(g.language), g.language).toBe(true);
      expect(grammarOf(g.path).scopeName).toBe(g.scopeName);
    }
    expect(m.contributes.grammars.map((g) => g.scopeName).sort()).toEqual(['source.nnspec', 'source.prototxt']);
  });

  it("gives each language the grammar's file types, and nnspec its first-line match", () => {
    const m = manifest();
    for (const lang of m.contributes.languages) {
      const grammar = grammarOf(m.contributes.grammars.find((g) => g.language === lang.id)!.path);
      expect(lang.extensions.map((e) => e.replace(/^\./, '')).sort(), lang.id).toEqual([...grammar.fileTypes].sort());
      if (grammar.firstLineMatch) expect(lang.firstLine).toBe(grammar.firstLineMatch);
    }
  });

  it('ships copies of grammar/*.tmLanguage.json that are current', () => {
    for (const g of manifest().contributes.grammars) {
      const shipped = readFileSync(resolve(EXTENSION, g.path), 'utf8');
      const source = readFileSync(join(ROOT, 'grammar', g.path.split('/').pop()!), 'utf8');
      expect(shipped === source, `${g.path} differs from grammar/; run: cp grammar/*.tmLanguage.json editors/vscode/syntaxes/`).toBe(true);
    }
  });
});

describe('language-configuration.json', () => {
  const config = () => readJsonc<LanguageConfiguration>(join(EXTENSION, 'language-configuration.json'));

  it("comments with the lexer's comment character", () => {
    const c = config();
    expect(new RegExp(`^${(Comment.PATTERN as RegExp).source}$`).test(`${c.comments.lineComment} text`)).toBe(true);
  });

  it('matches the brackets of the language and auto-closes brackets and both quotes', () => {
    const c = config();
    const pairs: [TokenType, TokenType][] = [
      [LCurly, RCurly],
      [LBracket, RBracket],
      [LParen, RParen],
    ];
    for (const [open, close] of pairs.map(([o, c]) => [String(o.PATTERN), String(c.PATTERN)])) {
      expect(c.brackets).toContainEqual([open, close]);
      expect(c.autoClosingPairs).toContainEqual({ open, close });
      expect(c.surroundingPairs).toContainEqual([open, close]);
    }
    for (const q of ['"', "'"]) {
      expect(c.autoClosingPairs).toContainEqual({ open: q, close: q, notIn: ['string', 'comment'] });
      expect(c.surroundingPairs).toContainEqual([q, q]);
    }
    // `<` is also a message bracket in prototxt, but typing it must not insert `>`.
    expect(c.autoClosingPairs.map((p) => p.open)).not.toContain('<');
  });

  it('indents after an opening bracket and out at the closing one, not for brackets in comments or strings', () => {
    const { increaseIndentPattern, decreaseIndentPattern } = config().indentationRules;
    const inc = new RegExp(increaseIndentPattern);
    const dec = new RegExp(decreaseIndentPattern);
    for (const line of ['layer {', '  convolution_param {  # the conv', 'shape: [', 'input_shape <']) expect(inc.test(line), line).toBe(true);
    for (const line of ['layer { name: "a" }', '# layer {', 'name: "{"', 'top: conv1']) expect(inc.test(line), line).toBe(false);
    for (const line of ['}', '  }', '  ]', '>']) expect(dec.test(line), line).toBe(true);
    expect(dec.test('  name: x }')).toBe(false);
  });

  it('selects identifiers, $references and numbers as words; folds # region markers', () => {
    const c = config();
    const words = (text: string) => [...text.matchAll(new RegExp(c.wordPattern, 'g'))].map((m) => m[0]);
    expect(words('Conv { out: $planes*4 lr: 1e-3 }')).toEqual(['Conv', 'out', '$planes', '4', 'lr', '1e-3']);
    expect(new RegExp(c.folding.markers.start).test('  # region stem')).toBe(true);
    expect(new RegExp(c.folding.markers.end).test('# endregion')).toBe(true);
  });
});
