/**
 * Shared by the lint tooling tests (config, suppressions, --fix, formats): temporary
 * directories, small Caffe nets that produce stable check diagnostics, and a rule catalogue of
 * test rules that a test file swaps in for the real one with
 *
 *   vi.mock('../../src/lint/rules/index.js', async () => (await import('./tooling-kit.js')).testCatalogue());
 *
 * so that the tooling is tested against rules that do not change while the real catalogue grows.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineRule, type Rule } from '../../src/lint/rule.js';
import { ROOT } from '../helpers.js';

/** The rule ids of the real catalogue, as the built CLI has them (a test file's own import may be mocked). */
export const REAL_RULE_IDS: string[] = ((await import(pathToFileURL(join(ROOT, 'dist/lint/rules/index.js')).href)) as { RULES: Rule<never>[] }).RULES.map((r) => r.meta.id);

/**
 * A config that turns every real rule off, for CLI tests of the tooling: what they see is then
 * check diagnostics and lint's own (lint/…), which do not change as rules are added.
 */
export function quiet(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...extra, rules: Object.fromEntries(REAL_RULE_IDS.map((id) => [id, 'off'])) }, null, 2);
}

export const tmp = (): string => mkdtempSync(join(tmpdir(), 'nnspec-lint-'));

/** A temporary directory whose nnspec.config.json turns every real rule off (for CLI tests). */
export const quietTmp = (): string => tree(tmp(), { 'nnspec.config.json': quiet() });

/** Writes files (relative path → text) under `dir`, creating folders; returns `dir`. */
export function tree(dir: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

/** Every file under `dir`, relative, sorted (hidden ones included: a temporary file left behind shows). */
export function listAll(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string, prefix: string) => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(at, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

export const HEAD = 'input: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n';
/** A layer that check warns about: caffe/python-layer. */
export const PYTHON = (name = 'py', bottom = 'data') => `layer { name: "${name}" type: "Python" bottom: "${bottom}" top: "${name}" python_param { module: "m" layer: "L" } }`;
/** A layer that check warns about: caffe/unknown-layer-type. */
export const UNKNOWN = (name = 'odd', bottom = 'data') => `layer { name: "${name}" type: "Frobnicate" bottom: "${bottom}" top: "${name}" }`;
export const RELU = (name: string, bottom = 'data') => `layer { name: "${name}" type: "ReLU" bottom: "${bottom}" top: "${name}" }`;
export const DROPOUT = (name: string, bottom = 'data') => `layer { name: "${name}" type: "Dropout" bottom: "${bottom}" top: "${name}" dropout_param { dropout_ratio: 0.5 } }`;
/** A net with one caffe/python-layer warning (line 3) and nothing else. */
export const ONE_WARNING = `${HEAD}${PYTHON()}\n`;
/** A net without problems. */
export const CLEAN = `${HEAD}${RELU('relu')}\n`;
/** A net with one error: a Concat of different heights (line 5). */
export const ONE_ERROR = `${HEAD}layer { name: "a" type: "Convolution" bottom: "data" top: "a" convolution_param { num_output: 4 kernel_size: 3 } }\nlayer { name: "b" type: "Convolution" bottom: "data" top: "b" convolution_param { num_output: 4 kernel_size: 1 } }\nlayer { name: "c" type: "Concat" bottom: "a" bottom: "b" top: "c" }\n`;

// ---------------------------------------------------------------------------------------------
// The test catalogue
// ---------------------------------------------------------------------------------------------

/** Fixable: a layer name with capitals; the fix lowercases it (a rename that changes nothing computed… for the test). */
export const lowercaseNames = defineRule({
  meta: {
    id: 'style/lowercase-names',
    category: 'style',
    recommended: 'warn',
    description: 'Layer names are lower case.',
    explanation: 'A test rule: it finds capitals in layer names and lowercases them.',
    references: [{ title: 'PEP 8', url: 'https://peps.python.org/pep-0008/' }],
    options: null,
    fixable: true,
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      if (node.name === node.name.toLowerCase()) continue;
      const span = ctx.fieldSpan(node, ['name']);
      const written = ctx.source.text.slice(span.start, span.end);
      ctx.report({ node, fields: [['name']], message: `'${node.name}' has capitals`, hint: `call it '${node.name.toLowerCase()}'`, fix: [{ start: span.start, end: span.end, text: written.toLowerCase() }] });
    }
  },
});

/** Offers a fix but is not fixable: --fix must leave its edit alone. */
export const dropoutHere = defineRule({
  meta: {
    id: 'regularization/no-dropout',
    category: 'regularization',
    recommended: 'warn',
    description: 'A dropout layer.',
    explanation: 'A test rule: it reports every dropout layer and offers to delete it (a fix that changes the model, so the rule is not fixable).',
    references: [],
    options: null,
    fixable: false,
  },
  check(ctx) {
    for (const node of ctx.nodes) if (node.op === 'dropout') ctx.report({ node, message: `'${node.name}' is a dropout layer`, fix: [{ start: node.span.start, end: node.span.end, text: '' }] });
  },
});

/** Off in recommended; options with defaults. */
export const maxLayers = defineRule<{ max: number; ignore: string[] }>({
  meta: {
    id: 'graph/max-layers',
    category: 'graph',
    recommended: 'off',
    description: 'A net has at most `max` layers.',
    explanation: 'A test rule with options.',
    references: [],
    options: {
      type: 'object',
      properties: {
        max: { type: 'integer', minimum: 1, default: 100, description: 'the most layers allowed' },
        ignore: { type: 'array', items: { type: 'string' }, default: [], description: 'layer names not counted' },
      },
      additionalProperties: false,
    },
    fixable: false,
  },
  check(ctx) {
    const counted = ctx.nodes.filter((n) => !ctx.options.ignore.includes(n.name));
    if (counted.length > ctx.options.max) ctx.report({ node: counted[0]!, message: `${counted.length} layers, more than ${ctx.options.max}` });
  },
});

/** Reports Python layers itself, so check's caffe/python-layer is superseded while it is on. */
export const pythonLayers = defineRule({
  meta: {
    id: 'portability/python-layer',
    category: 'portability',
    recommended: 'off',
    description: 'A Python layer runs code only Caffe can.',
    explanation: 'A test rule that supersedes a check diagnostic.',
    references: [],
    options: null,
    fixable: false,
    targets: ['pytorch', 'tfjs'],
    supersedes: ['caffe/python-layer'],
  },
  check(ctx) {
    for (const node of ctx.nodes) if (node.op === 'opaque' && node.attrs.type === 'Python') ctx.report({ node, fields: [['type']], message: `'${node.name}' is a Python layer (target ${ctx.target ?? 'none'})` });
  },
});

/** Fails on a layer named "boom": lint reports the failure as a diagnostic, never a stack trace. */
export const throws = defineRule({
  meta: {
    id: 'init/throws',
    category: 'init',
    recommended: 'off',
    description: 'Throws on a layer named boom.',
    explanation: 'A test rule with a bug.',
    references: [],
    options: null,
    fixable: false,
  },
  check(ctx) {
    if (ctx.nodes.some((n) => n.name === 'boom')) throw new Error('boom');
  },
});

/** `line:column` (1-based) of the first `needle` in `text` (after `from`, if given). */
export function at(text: string, needle: string, from?: string): string {
  const start = from === undefined ? 0 : text.indexOf(from);
  const i = text.indexOf(needle, Math.max(0, start));
  if (start < 0 || i < 0) throw new Error(`'${needle}' is not in the text`);
  const before = text.slice(0, i).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

export const TEST_RULES = [lowercaseNames, dropoutHere, maxLayers, pythonLayers, throws] as unknown as Rule<never>[];

export function testCatalogue(): { RULES: readonly Rule<never>[] } {
  return { RULES: TEST_RULES };
}

/**
 * Permission tests need a user that permissions apply to. Root reads and writes anything, so as
 * root the CLI runs as `nobody`, who must then be able to reach the built CLI: a checkout inside
 * a private directory (mktemp's are mode 700) is out of its reach, and those tests are skipped.
 */
export const UNPRIVILEGED: { options: { uid?: number; gid?: number }; skip: string | null } = (() => {
  if (process.getuid?.() !== 0) return { options: {}, skip: null };
  const options = { uid: 65534, gid: 65534 };
  const main = join(ROOT, 'dist/cli/main.js');
  const probe = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(main)}, require('node:fs').constants.R_OK)`], options);
  if (probe.status === 0) return { options, skip: null };
  const skip = `running as root, and user nobody (uid 65534), who permission tests run as, cannot read ${main}; permission tests are skipped`;
  console.warn(`[lint permission tests] skipped: ${skip}`);
  return { options, skip };
})();
