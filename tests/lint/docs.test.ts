/**
 * Artefacts generated from the rule catalogue (scripts/generate-rules.mjs): docs/rules.md and
 * schema/lint-config.schema.json must match what the catalogue generates now; every rule has a
 * section whose anchor is the one SARIF's helpUri links to; the config schema lists every rule
 * and agrees with the config reader. Runs against the real catalogue.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, presetLevel } from '../../src/lint/config.js';
import { anchor, DOCS } from '../../src/lint/formatters/sarif.js';
import { CATEGORIES } from '../../src/lint/rule.js';
import { RULES } from '../../src/lint/rules/index.js';
import { ROOT } from '../helpers.js';
import { tmp } from './tooling-kit.js';

const REGENERATE = 'npm run generate';
const FILES = ['docs/rules.md', 'schema/lint-config.schema.json'];

interface Generator {
  generateAll(): Record<string, string>;
}

/** The generator reads the catalogue from dist/, so the build must exist (`npm test` builds first). */
async function generator(): Promise<Generator> {
  if (!existsSync(join(ROOT, 'dist/lint/rules/index.js'))) throw new Error(`dist/ is missing; run \`${REGENERATE}\``);
  return (await import(pathToFileURL(join(ROOT, 'scripts/generate-rules.mjs')).href)) as Generator;
}

const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

/** GitHub's anchor for a heading (github-slugger): lower case, punctuation but - and _ dropped, spaces to -. */
function githubSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

function headings(md: string): { level: number; text: string; slug: string }[] {
  const out: { level: number; text: string; slug: string }[] = [];
  let fenced = false;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^(#{1,6}) (.*)$/.exec(line);
    if (m) out.push({ level: m[1]!.length, text: m[2]!, slug: githubSlug(m[2]!) });
  }
  return out;
}

/** A rule's section of docs/rules.md. */
function section(md: string, id: string): string {
  const start = md.indexOf(`\n### \`${id}\`\n`);
  if (start < 0) return '';
  const end = md.slice(start + 1).search(/\n##+ /);
  return end < 0 ? md.slice(start) : md.slice(start, start + 1 + end);
}

describe('generated from the rule catalogue', () => {
  let generated: Record<string, string>;
  beforeAll(async () => {
    generated = (await generator()).generateAll();
  });

  it('generates docs/rules.md and the config schema', () => {
    expect(Object.keys(generated).sort()).toEqual([...FILES].sort());
  });

  for (const rel of FILES) {
    it(`${rel} is up to date`, () => {
      if (!existsSync(join(ROOT, rel))) expect.fail(`${rel} is missing; run \`${REGENERATE}\``);
      // Compared as a boolean first: the message says what to do; the diff follows.
      const fresh = read(rel) === generated[rel];
      expect(fresh, `${rel} is stale (a rule was added or changed, or the generator changed); run \`${REGENERATE}\` and review the change`).toBe(true);
    });
  }
});

describe('docs/rules.md', () => {
  const md = () => read('docs/rules.md');

  it('says it is generated', () => {
    expect(md()).toContain('Generated from the rule catalogue (src/lint/rules/) by `npm run generate`; do not edit.');
  });

  it('has a section per rule at the anchor SARIF links to, and no two headings share an anchor', () => {
    const hs = headings(md());
    const slugs = hs.map((h) => h.slug);
    expect(new Set(slugs).size, `duplicate anchors: ${slugs.filter((s, i) => slugs.indexOf(s) !== i).join(', ')}`).toBe(slugs.length);
    for (const rule of RULES) {
      const h = hs.find((x) => x.level === 3 && x.text === `\`${rule.meta.id}\``);
      expect(h, `docs/rules.md has no section for ${rule.meta.id}; run \`${REGENERATE}\``).toBeDefined();
      expect(h!.slug, rule.meta.id).toBe(anchor(rule.meta.id));
      expect(md()).toContain(`](#${anchor(rule.meta.id)})`);
    }
    // Rule ids keep GitHub's anchor and SARIF's helpUri the same: lower-case kebab words.
    for (const rule of RULES) expect(rule.meta.id).toMatch(/^[a-z]+\/[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(DOCS).toMatch(/\/docs\/rules\.md$/);
  });

  it('lists the categories in order, each rule under its own', () => {
    const hs = headings(md()).filter((h) => h.level === 2 && h.text !== 'Contents');
    expect(hs.map((h) => h.text)).toEqual([...CATEGORIES]);
    const text = md();
    for (const rule of RULES) {
      const at = text.indexOf(`\n### \`${rule.meta.id}\`\n`);
      expect(at, `docs/rules.md has no section for ${rule.meta.id}; run \`${REGENERATE}\``).toBeGreaterThan(0);
      const category = text.lastIndexOf('\n## ', at);
      expect(text.slice(category + 4, text.indexOf('\n', category + 1)), rule.meta.id).toBe(rule.meta.category);
    }
  });

  it('gives each rule its levels in both presets, whether it is fixable, its targets, what it supersedes, its options and references', () => {
    const text = md();
    for (const rule of RULES) {
      const m = rule.meta;
      const s = section(text, m.id);
      expect(s, `docs/rules.md has no section for ${m.id}; run \`${REGENERATE}\``).not.toBe('');
      const what = `${m.id} (is docs/rules.md stale? run \`${REGENERATE}\`)`;
      expect(s, what).toContain(`| in \`recommended\` | ${presetLevel(rule, 'recommended')} |`);
      expect(s, what).toContain(`| in \`strict\` | ${presetLevel(rule, 'strict')} |`);
      expect(s, what).toContain(`| fixable | ${m.fixable ? 'yes' : 'no'}`);
      if (m.targets?.length) expect(s, what).toContain(`| targets | ${m.targets.join(', ')} |`);
      expect(s, what).toContain(`| supersedes | ${m.supersedes?.length ? m.supersedes.map((c) => `\`${c}\``).join(', ') : 'nothing'} |`);
      expect(s, what).toContain(m.description);
      expect(s, what).toContain(m.explanation.trim());
      for (const r of m.references) expect(s, what).toContain(`](${r.url})`);
      const options = Object.entries(m.options?.properties ?? {});
      if (options.length === 0) expect(s, what).toContain('No options.');
      for (const [name, schema] of options) expect(s, `${what}: option ${name}`).toMatch(new RegExp(`^\\| \`${name}\` \\| .+ \\| \`${JSON.stringify(schema.default).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` \\|`, 'm'));
    }
  });
});

describe('the rule catalogue, as the docs and the schema need it', () => {
  it('has unique ids, each under its category, with references that are links', () => {
    const ids = RULES.map((r) => r.meta.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { meta: m } of RULES) {
      expect(m.id.startsWith(`${m.category}/`), m.id).toBe(true);
      expect(m.description.trim(), m.id).not.toBe('');
      expect(m.explanation.trim(), m.id).not.toBe('');
      for (const r of m.references) expect(r.url, m.id).toMatch(/^https?:\/\//);
    }
  });

  it('gives every option a description and a default that its own schema accepts', async () => {
    const { Ajv } = await import('ajv');
    const ajv = new Ajv({ strict: false });
    for (const { meta: m } of RULES) {
      if (!m.options) continue;
      expect(m.options.type, m.id).toBe('object');
      expect(m.options.additionalProperties, m.id).toBe(false);
      for (const [name, schema] of Object.entries(m.options.properties)) {
        expect(typeof schema.description, `${m.id}: ${name}`).toBe('string');
        expect('default' in schema, `${m.id}: ${name} has no default`).toBe(true);
        const validate = ajv.compile(schema);
        expect(validate(schema.default), `${m.id}: the default of ${name} fails its schema: ${JSON.stringify(validate.errors)}`).toBe(true);
      }
    }
  });
});

describe('schema/lint-config.schema.json', () => {
  const schema = () => JSON.parse(read('schema/lint-config.schema.json')) as { properties: { rules: { properties: Record<string, unknown> } } };
  const compile = async () => {
    const { Ajv } = await import('ajv');
    // strictTuples off: [level] alone is allowed, so the tuple's minItems is 1.
    return new Ajv({ strict: true, strictTuples: false, allErrors: true }).compile(schema());
  };

  it('is a JSON Schema ajv compiles in strict mode, listing every rule id', async () => {
    await expect(compile()).resolves.toBeTypeOf('function');
    expect(Object.keys(schema().properties.rules.properties), `the schema's rules are not the catalogue's; run \`${REGENERATE}\``).toEqual(RULES.map((r) => r.meta.id));
  });

  it('accepts what the config reader accepts, and rejects what it rejects', async () => {
    const validate = await compile();
    const id = RULES[0]?.meta.id ?? 'no/rules-yet';
    const withOptions = RULES.find((r) => r.meta.options && Object.keys(r.meta.options.properties).length > 0);
    const configs: [string, unknown][] = [
      ['empty', {}],
      ['$schema and a preset', { $schema: './schema/lint-config.schema.json', extends: 'strict', target: 'caffe' }],
      ['an unknown preset', { extends: 'lenient' }],
      ['an unknown target', { target: 'onnx' }],
      ['an unknown key', { rule: {} }],
      ['rules not an object', { rules: [] }],
      ['an unknown rule', { rules: { 'no/such-rule': 'warn' } }],
    ];
    if (RULES.length > 0) {
      configs.push(
        ['a level', { rules: { [id]: 'off' } }],
        ['[level]', { rules: { [id]: ['error'] } }],
        ['[level, {}]', { rules: { [id]: ['warn', {}] } }],
        ['an unknown level', { rules: { [id]: 'on' } }],
        ['an empty array', { rules: { [id]: [] } }],
        ['options not an object', { rules: { [id]: ['warn', 3] } }],
        ['three items', { rules: { [id]: ['warn', {}, {}] } }],
        ['an unknown option', { rules: { [id]: ['warn', { no_such_option: 1 }] } }],
      );
    }
    for (const rule of RULES) {
      if (!rule.meta.options) continue;
      const defaults = Object.fromEntries(Object.entries(rule.meta.options.properties).map(([k, s]) => [k, s.default]));
      configs.push([`the defaults of ${rule.meta.id}`, { rules: { [rule.meta.id]: ['error', defaults] } }]);
    }
    if (withOptions) {
      const [name, s] = Object.entries(withOptions.meta.options!.properties)[0]!;
      const wrong = typeof s.default === 'string' ? 12345 : 'not-a-valid-value-for-this-option';
      configs.push([`a wrong type for ${withOptions.meta.id} ${name}`, { rules: { [withOptions.meta.id]: ['warn', { [name]: wrong }] } }]);
    }
    const dir = tmp();
    for (const [what, config] of configs) {
      const path = join(dir, 'nnspec.config.json');
      writeFileSync(path, JSON.stringify(config));
      let readerAccepts = true;
      try {
        await loadConfig(path);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        readerAccepts = false;
      }
      expect(validate(config), `${what}: the schema and the config reader disagree (${JSON.stringify(validate.errors?.slice(0, 2))})`).toBe(readerAccepts);
    }
  });
});

describe('README, Lint section', () => {
  const lintSection = () => {
    const readme = read('README.md');
    const start = readme.indexOf('\n## Lint\n');
    expect(start, 'README.md has no "## Lint" section').toBeGreaterThan(0);
    return readme.slice(start, readme.indexOf('\n## ', start + 1));
  };

  it('names only rules that exist', () => {
    const ids = new Set(RULES.map((r) => r.meta.id));
    const named = [...lintSection().matchAll(new RegExp(`\\b(?:${CATEGORIES.join('|')})/[a-z0-9-]+`, 'g'))].map((m) => m[0]);
    expect(named.length).toBeGreaterThan(0);
    for (const id of named) expect(ids.has(id), `README.md names '${id}', which is not in the catalogue`).toBe(true);
  });

  it('shows a configuration the config reader accepts', async () => {
    const example = /```jsonc\n([\s\S]*?)```/.exec(lintSection())?.[1];
    expect(example).toBeDefined();
    const path = join(tmp(), 'nnspec.config.json');
    writeFileSync(path, example!);
    await expect(loadConfig(path)).resolves.toMatchObject({ target: 'pytorch' });
  });

  it('shows a GitHub Actions workflow that lints with annotations and uploads SARIF', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(lintSection())?.[1] ?? '';
    for (const line of [
      'uses: actions/checkout@v4',
      'uses: actions/setup-node@v4',
      'node-version: 20',
      'run: npm ci',
      "run: npx nnspec lint --format github 'models/**/*.prototxt' 'models/**/*.nnspec'",
      "--format sarif 'models/**/*.prototxt' 'models/**/*.nnspec' > nnspec.sarif",
      'uses: github/codeql-action/upload-sarif@v3',
      'if: always()',
      'sarif_file: nnspec.sarif',
      'security-events: write',
    ]) expect(yaml).toContain(line);
    expect(yaml).not.toMatch(/\t/);
  });
});
