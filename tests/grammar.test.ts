/**
 * grammar/: the generated railroad diagrams and TextMate grammars are up to date, the diagram
 * page works offline, and the TextMate grammars scope real files as intended.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type { ISerializedGast } from 'chevrotain';
import fc from 'fast-check';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';
import { beforeAll, describe, expect, it } from 'vitest';
import { unescapeString, type EscapeProblem } from '../src/language/escapes.js';
import { textFormatParser } from '../src/language/grammar.js';
import { MAX_NESTING } from '../src/language/limits.js';
import { NUMBER_PATTERN } from '../src/language/numbers.js';
import { LAYER_TYPES } from '../src/dialects/nnspec/layers.js';
import { CORPUS, corpusFiles, HAS_CORPUS, ROOT, specFiles } from './helpers.js';

const REGENERATE = 'npm run build && node scripts/generate-grammar.mjs';

interface Generator {
  generateAll(): Record<string, string>;
}

/** The generator reads the parser from dist/, so the build must exist (`npm test` builds first). */
async function generator(): Promise<Generator> {
  if (!existsSync(join(ROOT, 'dist/language/grammar.js'))) throw new Error(`dist/ is missing; run \`${REGENERATE}\``);
  // A computed specifier: the script is plain JavaScript without type declarations.
  const script = pathToFileURL(join(ROOT, 'scripts/generate-grammar.mjs')).href;
  return (await import(script)) as Generator;
}

/** The parser's rules in definition order (serialized rules carry their names). */
function ruleNames(): string[] {
  return textFormatParser()
    .getSerializedGastProductions()
    .map((r) => (r as ISerializedGast & { name: string }).name);
}

function read(rel: string): string {
  return readFileSync(join(ROOT, rel), 'utf8');
}

describe('generated files', () => {
  let generated: Record<string, string>;
  beforeAll(async () => {
    generated = (await generator()).generateAll();
  });

  const FILES = [
    'editors/vscode/syntaxes/nnspec.tmLanguage.json',
    'editors/vscode/syntaxes/prototxt.tmLanguage.json',
    'grammar/nnspec.tmLanguage.json',
    'grammar/prototxt.tmLanguage.json',
    'grammar/railroad.html',
  ];

  it('generates railroad.html and both TextMate grammars (with the VS Code extension\'s copies)', () => {
    expect(Object.keys(generated).sort()).toEqual(FILES);
  });

  for (const rel of FILES) {
    it(`${rel} is up to date`, () => {
      const path = join(ROOT, rel);
      if (!existsSync(path)) expect.fail(`${rel} is missing; run \`${REGENERATE}\``);
      // Compared as a boolean: a diff of the inlined page would drown the message.
      const fresh = read(rel) === generated[rel];
      expect(fresh, `${rel} is stale (the grammar, the layer types or the generator changed); run \`${REGENERATE}\``).toBe(true);
    });
  }
});

describe('railroad.html', () => {
  const html = () => read('grammar/railroad.html');

  it('references no external scripts, styles or other resources', () => {
    const page = html();
    expect(page).not.toMatch(/<script[^>]*\ssrc\s*=/i);
    expect(page).not.toMatch(/<link\b/i);
    expect(page).not.toMatch(/@import/i);
    expect(page).not.toMatch(/url\(\s*['"]?https?:/i);
    expect(page).not.toMatch(/(?:src|href)\s*=\s*['"]?(?:https?:)?\/\//i);
    expect(page).not.toMatch(/unpkg|jsdelivr|cdnjs/i);
  });

  it('says what it is and where it comes from', () => {
    const page = html();
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('<title>nnspec text-format grammar</title>');
    expect(page).toContain('nnspec text-format grammar, generated from src/language/grammar.ts by scripts/generate-grammar.mjs; do not edit');
  });

  it('draws a diagram for every rule of the parser with only its inlined scripts', () => {
    // The page's own scripts, run without a browser or a network: they fill the diagrams div.
    const scripts = [...html().matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    const div = { innerHTML: '' };
    const context: Record<string, unknown> = { document: { getElementById: () => div, getElementsByClassName: () => [] } };
    context.window = context;
    vm.createContext(context);
    for (const code of scripts) vm.runInContext(code, context);
    const headers = [...div.innerHTML.matchAll(/<h2 class="diagramHeader">(\w+)<\/h2><svg/g)].map((m) => m[1]);
    expect(headers).toEqual(ruleNames());
  });
});

describe('reference.md', () => {
  const md = () => read('grammar/reference.md');

  it('names every rule of the parser', () => {
    const text = md();
    for (const rule of ruleNames()) expect(text, `grammar/reference.md does not define '${rule}'`).toMatch(new RegExp(`^${rule}\\s+=`, 'm'));
  });

  it('states the nesting limit of src/language/limits.ts', () => {
    expect(md()).toContain(`${MAX_NESTING} levels`);
  });
});

// ---------------------------------------------------------------------------------------------
// TextMate grammars, run with VS Code's own engine
// ---------------------------------------------------------------------------------------------

type Lang = 'nnspec' | 'prototxt';
let grammars: Record<Lang, textmate.IGrammar>;

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  const wasm = readFileSync(join(require.resolve('vscode-oniguruma'), '../onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => {
      const lang = { 'source.nnspec': 'nnspec', 'source.prototxt': 'prototxt' }[scopeName];
      if (!lang) return null;
      const file = `grammar/${lang}.tmLanguage.json`;
      return textmate.parseRawGrammar(read(file), join(ROOT, file));
    },
  });
  const load = async (scope: string) => {
    const g = await registry.loadGrammar(scope);
    if (!g) throw new Error(`cannot load ${scope}`);
    return g;
  };
  grammars = { nnspec: await load('source.nnspec'), prototxt: await load('source.prototxt') };
});

interface Token {
  text: string;
  /** Innermost scope, without the language suffix (`.nnspec`, `.prototxt`). */
  scope: string;
  scopes: string[];
}

/** Tokenizes a whole text; returns the tokens of each line and the state after the last one. */
function tokenize(lang: Lang, text: string): { lines: Token[][]; end: textmate.StateStack } {
  const suffix = new RegExp(`\\.${lang}$`);
  let state = textmate.INITIAL;
  const lines: Token[][] = [];
  for (const line of text.split(/\r?\n/)) {
    const r = grammars[lang].tokenizeLine(line, state);
    state = r.ruleStack;
    lines.push(
      r.tokens
        .map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes, scope: t.scopes[t.scopes.length - 1]!.replace(suffix, '') }))
        .filter((t) => t.text.trim() !== ''),
    );
  }
  return { lines, end: state };
}

function tokens(lang: Lang, line: string): Token[] {
  return tokenize(lang, line).lines[0]!;
}

/** The scope of `text` in `line` (its `nth` occurrence as a token), suffix removed. */
function scopeOf(lang: Lang, line: string, text: string, nth = 0): string {
  const found = tokens(lang, line).filter((t) => t.text === text)[nth];
  if (!found) throw new Error(`no token '${text}' in ${JSON.stringify(line)}: ${JSON.stringify(tokens(lang, line).map((t) => t.text))}`);
  return found.scope;
}

/** The first line of a file that contains `needle`, so the tests follow the real files. */
function lineWith(text: string, needle: string): string {
  const line = text.split(/\r?\n/).find((l) => l.includes(needle));
  if (line === undefined) throw new Error(`no line contains ${JSON.stringify(needle)}`);
  return line;
}

/** Everything a valid file must avoid: error scopes, and braces left open at its end. */
function problems(lang: Lang, text: string): string[] {
  const { lines, end } = tokenize(lang, text);
  const out: string[] = [];
  lines.forEach((ts, i) => {
    for (const t of ts) if (t.scopes.some((s) => s.startsWith('invalid'))) out.push(`line ${i + 1}: '${t.text}' is ${t.scope}`);
  });
  // A probe line after the text is at the top level only if every block was closed.
  const probe = grammars[lang].tokenizeLine('probe: 1', end).tokens[0]!;
  if (probe.scopes.length !== 2) out.push(`the file ends inside ${probe.scopes.slice(1, -1).join(' ')}`);
  return out;
}

// A few lines of Caffe's MNIST example, for machines without the shared corpus.
const CAFFE_SOLVER_FALLBACK = `# The train/test net protocol buffer definition
net: "examples/mnist/lenet_train_test.prototxt"
base_lr: 0.001
momentum2: 0.999
solver_mode: GPU
`;
const CAFFE_NET_FALLBACK = `layer {
  name: "mnist"
  include {
    phase: TRAIN
  }
  transform_param {
    scale: 0.00390625
  }
  data_param {
    batch_size: 64
    backend: LMDB
  }
}
`;

function corpusFile(rel: string, fallback: string): string {
  return HAS_CORPUS ? readFileSync(join(CORPUS, rel), 'utf8') : fallback;
}

describe('prototxt.tmLanguage.json on Caffe files', () => {
  const solver = () => corpusFile('BVLC__caffe/lenet_solver_adam.prototxt', CAFFE_SOLVER_FALLBACK);
  const net = () => corpusFile('BVLC__caffe/lenet_train_test.prototxt', CAFFE_NET_FALLBACK);

  it('scopes comments, strings, numbers, field names and enum values', () => {
    const comment = lineWith(solver(), '# The train/test net');
    expect(tokens('prototxt', comment).map((t) => t.scope)).toEqual(['punctuation.definition.comment', 'comment.line.number-sign']);

    const netLine = lineWith(solver(), 'net: "');
    expect(scopeOf('prototxt', netLine, 'net')).toBe('variable.other.field-name');
    expect(scopeOf('prototxt', netLine, ':')).toBe('punctuation.separator.key-value');
    expect(scopeOf('prototxt', netLine, 'examples/mnist/lenet_train_test.prototxt')).toBe('string.quoted.double');
    expect(scopeOf('prototxt', netLine, '"')).toBe('punctuation.definition.string.begin');

    expect(scopeOf('prototxt', lineWith(solver(), 'base_lr:'), '0.001')).toBe('constant.numeric.float');
    expect(scopeOf('prototxt', lineWith(solver(), 'momentum2:'), 'momentum2')).toBe('variable.other.field-name');
    expect(scopeOf('prototxt', lineWith(solver(), 'solver_mode:'), 'GPU')).toBe('constant.other.enum');
  });

  it('scopes messages and the fields inside them', () => {
    const { lines } = tokenize('prototxt', net());
    const all = lines.flat();
    const first = (text: string) => all.find((t) => t.text === text)!;
    expect(first('layer').scope).toBe('entity.name.tag');
    expect(first('{').scope).toBe('punctuation.section.block.begin');
    expect(first('include').scope).toBe('entity.name.tag');
    expect(first('phase').scope).toBe('variable.other.field-name');
    expect(first('TRAIN').scope).toBe('constant.other.enum');
    expect(first('TRAIN').scopes).toContain('meta.block.prototxt');
    expect(first('LMDB').scope).toBe('constant.other.enum');
    expect(first('64').scope).toBe('constant.numeric.integer.decimal');
    expect(first('}').scope).toBe('punctuation.section.block.end');
  });

  it('scopes constants, signs, hex, angle-bracket messages and escapes', () => {
    const line = 'a: true b: -inf c: 0x1F d: -1 e < f: nan > g: "x\\ty\\q" h: \'s\'';
    expect(scopeOf('prototxt', line, 'true')).toBe('constant.language.boolean');
    expect(scopeOf('prototxt', line, 'inf')).toBe('constant.language.float');
    expect(scopeOf('prototxt', line, 'nan')).toBe('constant.language.float');
    expect(scopeOf('prototxt', line, '-')).toBe('keyword.operator.arithmetic');
    expect(scopeOf('prototxt', line, '0x1F')).toBe('constant.numeric.integer.hexadecimal');
    expect(scopeOf('prototxt', line, 'e')).toBe('entity.name.tag');
    expect(scopeOf('prototxt', line, '<')).toBe('punctuation.section.block.begin');
    expect(scopeOf('prototxt', line, '>')).toBe('punctuation.section.block.end');
    expect(scopeOf('prototxt', line, '\\t')).toBe('constant.character.escape');
    expect(scopeOf('prototxt', line, '\\q')).toBe('invalid.illegal.unknown-escape');
    expect(scopeOf('prototxt', line, 's')).toBe('string.quoted.single');
  });

  it.skipIf(!HAS_CORPUS)('finds nothing wrong in any corpus file', () => {
    const files = corpusFiles();
    expect(files.length).toBeGreaterThan(0);
    for (const rel of files) expect(problems('prototxt', readFileSync(join(CORPUS, rel), 'utf8')), rel).toEqual([]);
  });
});

describe('nnspec.tmLanguage.json on the shipped specs', () => {
  const lenet = () => read('specs/lenet.nnspec');
  const resnet = () => read('specs/torchvision/resnet18.nnspec');

  it('scopes sections, comments, strings and numbers (lenet.nnspec)', () => {
    expect(tokens('nnspec', lineWith(lenet(), '# LeNet')).map((t) => t.scope)).toEqual(['punctuation.definition.comment', 'comment.line.number-sign']);
    const version = lineWith(lenet(), 'nnspec:');
    expect(scopeOf('nnspec', version, 'nnspec')).toBe('keyword.other.section');
    expect(scopeOf('nnspec', version, '1')).toBe('constant.numeric.integer.decimal');
    const name = lineWith(lenet(), 'name: "LeNet"');
    expect(scopeOf('nnspec', name, 'name')).toBe('keyword.other.section');
    expect(scopeOf('nnspec', name, 'LeNet')).toBe('string.quoted.double');
    for (const section of ['input', 'defaults', 'train']) {
      expect(scopeOf('nnspec', lineWith(lenet(), `${section} {`), section), section).toBe('keyword.other.section');
    }
  });

  it('scopes layer types, field names, lists and bare names (lenet.nnspec)', () => {
    const input = lineWith(lenet(), 'input {');
    // `name` is a section only at the top level; inside a block it is a field.
    expect(scopeOf('nnspec', input, 'name')).toBe('variable.other.field-name');
    expect(scopeOf('nnspec', input, 'data')).toBe('constant.other.enum');
    expect(scopeOf('nnspec', input, '[')).toBe('punctuation.section.brackets.begin');
    expect(scopeOf('nnspec', input, 'N')).toBe('constant.other.enum');
    expect(scopeOf('nnspec', input, '28')).toBe('constant.numeric.integer.decimal');
    expect(scopeOf('nnspec', input, '0.00390625')).toBe('constant.numeric.float');

    const conv = lineWith(lenet(), 'Conv { name: conv1');
    expect(scopeOf('nnspec', conv, 'Conv')).toBe('entity.name.type.layer');
    expect(scopeOf('nnspec', conv, 'conv1')).toBe('constant.other.enum');
    expect(scopeOf('nnspec', conv, 'out')).toBe('variable.other.field-name');
    expect(scopeOf('nnspec', conv, '20')).toBe('constant.numeric.integer.decimal');
    expect(scopeOf('nnspec', lineWith(lenet(), 'MaxPool { name: pool1'), 'MaxPool')).toBe('entity.name.type.layer');

    // Layer types keep their scope inside `defaults { … }`; message fields are tags.
    const { lines } = tokenize('nnspec', lenet());
    const defaultsConv = lines.flat().find((t) => t.text === 'Conv')!;
    expect(defaultsConv.scope).toBe('entity.name.type.layer');
    expect(defaultsConv.scopes).toContain('meta.block.nnspec');
    expect(lines.flat().find((t) => t.text === 'weight')!.scope).toBe('entity.name.tag');
    expect(lines.flat().find((t) => t.text === 'xavier')!.scope).toBe('constant.other.enum');
    expect(lines.flat().find((t) => t.text === '5e-4')!.scope).toBe('constant.numeric.float');
  });

  it('scopes blocks, $ references and arithmetic (resnet18.nnspec)', () => {
    const { lines } = tokenize('nnspec', resnet());
    const text = resnet().split(/\r?\n/);
    const at = (needle: string) => lines[text.findIndex((l) => l.includes(needle))]!;
    const find = (ts: Token[], t: string) => ts.find((x) => x.text === t)!.scope;

    expect(find(at('block {'), 'block')).toBe('keyword.other.section');
    expect(find(at('name: BasicBlock'), 'BasicBlock')).toBe('entity.name.type.block');
    expect(find(at('args {'), 'args')).toBe('keyword.other.section');
    expect(find(at('args {'), 'required')).toBe('constant.other.enum');
    expect(find(at('args {'), 'false')).toBe('constant.language.boolean');
    const conv = at('Conv { name: conv1 out: $planes');
    expect(find(conv, '$')).toBe('punctuation.definition.variable');
    expect(find(conv, 'planes')).toBe('variable.parameter.reference');
    expect(conv.find((t) => t.text === 'planes')!.scopes).toContain('variable.parameter.reference.nnspec');
    expect(find(at('seq { name: layer1'), 'seq')).toBe('keyword.other.section');
    expect(find(at('seq { name: layer1'), 'BasicBlock')).toBe('entity.name.type.block');

    const expr = tokens('nnspec', 'Conv { out: ($planes * 4) / 2 - -1 stride: $s + 1 }');
    expect(expr.map((t) => t.scope)).toEqual([
      'entity.name.type.layer',
      'punctuation.section.block.begin',
      'variable.other.field-name',
      'punctuation.separator.key-value',
      'punctuation.section.parens.begin',
      'punctuation.definition.variable',
      'variable.parameter.reference',
      'keyword.operator.arithmetic',
      'constant.numeric.integer.decimal',
      'punctuation.section.parens.end',
      'keyword.operator.arithmetic',
      'constant.numeric.integer.decimal',
      'keyword.operator.arithmetic',
      'keyword.operator.arithmetic',
      'constant.numeric.integer.decimal',
      'variable.other.field-name',
      'punctuation.separator.key-value',
      'punctuation.definition.variable',
      'variable.parameter.reference',
      'keyword.operator.arithmetic',
      'constant.numeric.integer.decimal',
      'punctuation.section.block.end',
    ]);
  });

  it('knows every layer type of LAYER_TYPES', () => {
    for (const { type } of LAYER_TYPES) expect(scopeOf('nnspec', `${type} { }`, type), type).toBe('entity.name.type.layer');
    expect(scopeOf('nnspec', 'Bottleneck { planes: 64 }', 'Bottleneck')).toBe('entity.name.type.block');
  });

  it('finds nothing wrong in any shipped spec', () => {
    const files = specFiles();
    expect(files.length).toBeGreaterThan(0);
    for (const rel of files) expect(problems('nnspec', read(rel)), rel).toEqual([]);
  });
});

describe('TextMate grammars agree with the lexer', () => {
  const WHOLE_NUMBER = new RegExp(`^(?:${NUMBER_PATTERN.source})$`);
  /** Characters of numbers and of near misses, digits weighted up so that long numerals occur. */
  const NUMBER_CHARS = fc.oneof({ arbitrary: fc.constantFrom(...'0178'), weight: 6 }, { arbitrary: fc.constantFrom(...'9.eEfFxXa_+-'), weight: 4 });

  /** Whether `text`, written as a value, is one number token in both grammars. */
  function oneNumber(text: string): boolean {
    return (['nnspec', 'prototxt'] as const).every((lang) => {
      const ts = tokens(lang, `x: ${text}`).slice(2);
      return ts.length === 1 && ts[0]!.text === text && ts[0]!.scope.startsWith('constant.numeric');
    });
  }

  it('scopes the number forms of the text format', () => {
    const cases: [string, string][] = [
      ['0', 'constant.numeric.integer.decimal'],
      ['42', 'constant.numeric.integer.decimal'],
      ['017', 'constant.numeric.integer.octal'],
      ['0x1F', 'constant.numeric.integer.hexadecimal'],
      ['1.', 'constant.numeric.float'],
      ['.5', 'constant.numeric.float'],
      ['5e-05', 'constant.numeric.float'],
      ['1E+5', 'constant.numeric.float'],
      ['1f', 'constant.numeric.float'],
      ['2.5F', 'constant.numeric.float'],
      ['1abc', 'invalid.illegal.number'],
      ['1.2.3', 'invalid.illegal.number'],
      ['08', 'invalid.illegal.number'],
    ];
    for (const [text, scope] of cases) expect(scopeOf('prototxt', `x: ${text}`, text), text).toBe(scope);
  });

  it('reads a number exactly where NUMBER_PATTERN does', () => {
    fc.assert(
      fc.property(fc.string({ unit: NUMBER_CHARS, minLength: 1, maxLength: 8 }), (text) => {
        expect(oneNumber(text), text).toBe(WHOLE_NUMBER.test(text));
      }),
      { numRuns: 3000 },
    );
  });

  /** Checks one escape sequence: scoped invalid in both grammars exactly when escapes.ts objects. */
  function checkEscape(escape: string): void {
    const literal = `"${escape}"`;
    const problems: EscapeProblem[] = [];
    unescapeString(literal, problems);
    for (const lang of ['nnspec', 'prototxt'] as const) {
      const ts = tokens(lang, `x: ${literal}`);
      const invalid = ts.some((t) => t.scope.startsWith('invalid'));
      expect(invalid, `${lang}: ${literal}`).toBe(problems.length > 0);
      expect(ts[ts.length - 1]!.scope, `${lang}: ${literal}`).toBe('punctuation.definition.string.end');
    }
  }

  it('scopes the escapes of src/language/escapes.ts', () => {
    const valid = ['\\a', '\\t', '\\\\', "\\'", '\\"', '\\?', '\\x4', '\\x41', '\\X7f', '\\0', '\\101', '\\u00e9', '\\U0001F600', '\\U0010FFFF'];
    const invalid = ['\\q', '\\8', '\\x', '\\xg', '\\u12', '\\u12G4', '\\U00110000', '\\UFFFFFFFF'];
    for (const e of valid) expect(scopeOf('prototxt', `x: "${e}"`, e), e).toBe('constant.character.escape');
    for (const e of invalid) expect(tokens('prototxt', `x: "${e}"`).some((t) => t.scope === 'invalid.illegal.unknown-escape'), e).toBe(true);
    for (const e of [...valid, ...invalid]) checkEscape(e);
  });

  it('marks an escape invalid exactly where src/language/escapes.ts reports it', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abfnrtvq?\\\'xXuU0123789AFG'), minLength: 1, maxLength: 9 }), (body) => {
        const escape = `\\${body}`;
        // A body ending in an odd run of backslashes would escape the closing quote: not a literal.
        fc.pre(/(?:^|[^\\])(?:\\\\)*$/.test(escape));
        checkEscape(escape);
      }),
      { numRuns: 1500 },
    );
  });

  it('handles CRLF line ends, tabs and a byte-order mark', () => {
    const text = '\uFEFFlayer {\r\n\tname:\t"a"\r\n}\r\n';
    expect(problems('prototxt', text)).toEqual([]);
    expect(tokenize('prototxt', text).lines[1]!.map((t) => t.scope)).toEqual([
      'variable.other.field-name',
      'punctuation.separator.key-value',
      'punctuation.definition.string.begin',
      'string.quoted.double',
      'punctuation.definition.string.end',
    ]);
  });
});
