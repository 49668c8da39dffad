#!/usr/bin/env node
// Regenerates the artefacts derived from the lint rule catalogue (run after `npm run build`):
//
//   docs/rules.md                    every rule: levels per preset, options, the lesson, references
//   schema/lint-config.schema.json   JSON Schema of nnspec.config.json, one entry per rule id
//
// Imported (by tests/lint/docs.test.ts) it only computes the files; run as a script (or from
// scripts/generate.mjs) it writes them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const REGENERATE = 'npm run generate';

async function load(rel) {
  try {
    return await import(pathToFileURL(join(ROOT, rel)).href);
  } catch (e) {
    throw new Error(`cannot load ${rel} (${e instanceof Error ? e.message : e}); run \`npm run build\` first`);
  }
}

const { RULES } = await load('dist/lint/rules/index.js');
const { CATEGORIES, TARGETS } = await load('dist/lint/rule.js');
const { CONFIG_FILE, PRESETS, presetLevel } = await load('dist/lint/config.js');
const { anchor } = await load('dist/lint/formatters/sarif.js');

// ---------------------------------------------------------------------------------------------
// docs/rules.md
// ---------------------------------------------------------------------------------------------

/** Text for a Markdown table cell: one line, pipes escaped. */
function cell(text) {
  return String(text).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function code(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `\`${text}\``;
}

/** A one-line description of a JSON Schema (the type column of an options table). */
export function describeType(schema) {
  if (!schema || typeof schema !== 'object') return 'any';
  if ('const' in schema) return code(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map(code).join(' | ');
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) return union.map(describeType).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  let text = types.length === 0 ? 'any' : types.join(' | ');
  if (types.includes('array') && schema.items && !Array.isArray(schema.items)) text = `array of ${describeType(schema.items)}`;
  const bounds = [];
  if (schema.minimum !== undefined) bounds.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) bounds.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) bounds.push(`≤ ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) bounds.push(`< ${schema.exclusiveMaximum}`);
  if (schema.minLength !== undefined) bounds.push(`length ≥ ${schema.minLength}`);
  if (bounds.length > 0) text = `${text} (${bounds.join(', ')})`;
  const items = (n) => `${n} item${n === 1 ? '' : 's'}`;
  const { minItems: min, maxItems: max } = schema;
  if (min !== undefined && min === max) text += `, exactly ${items(min)}`;
  else if (min !== undefined && max !== undefined) text += `, ${min} to ${items(max)}`;
  else if (min !== undefined) text += `, at least ${items(min)}`;
  else if (max !== undefined) text += `, at most ${items(max)}`;
  return text;
}

function ruleSection(rule) {
  const m = rule.meta;
  const lines = [`### \`${m.id}\``, ''];
  lines.push(`${m.description}`, '');
  lines.push('| | |', '| --- | --- |');
  lines.push(`| category | [${m.category}](#${m.category}) |`);
  for (const preset of PRESETS) lines.push(`| in \`${preset}\` | ${presetLevel(rule, preset)} |`);
  lines.push(`| fixable | ${m.fixable ? 'yes (`--fix`)' : 'no'} |`);
  if (m.targets && m.targets.length > 0) lines.push(`| targets | ${m.targets.join(', ')} |`);
  const supersedes = m.supersedes ?? [];
  lines.push(`| supersedes | ${supersedes.length > 0 ? supersedes.map(code).join(', ') : 'nothing'} |`);
  lines.push('');
  lines.push(m.explanation.trim(), '');
  if (supersedes.length > 0) {
    lines.push(
      `While this rule is on, \`nnspec lint\` leaves out the check diagnostic${supersedes.length === 1 ? '' : 's'} ${supersedes.map(code).join(', ')} (this rule reports the same problem with the lesson attached); turned off, ${supersedes.length === 1 ? 'it is' : 'they are'} printed as \`nnspec check\` prints ${supersedes.length === 1 ? 'it' : 'them'}.`,
      '',
    );
  }
  lines.push('**Options**', '');
  const props = Object.entries(m.options?.properties ?? {});
  if (props.length === 0) lines.push('No options.', '');
  else {
    lines.push('| option | type | default | description |', '| --- | --- | --- | --- |');
    for (const [name, schema] of props) lines.push(`| \`${name}\` | ${cell(describeType(schema))} | ${cell(code(schema.default))} | ${cell(schema.description ?? '')} |`);
    lines.push('');
    const example = { rules: { [m.id]: ['warn', Object.fromEntries(props.map(([name, schema]) => [name, schema.default]))] } };
    lines.push(`In \`${CONFIG_FILE}\`:`, '', '```json', JSON.stringify(example, null, 2), '```', '');
  }
  lines.push('**References**', '');
  if (m.references.length === 0) lines.push('None.', '');
  else {
    for (const r of m.references) lines.push(`- [${r.title.replace(/[[\]]/g, '\\$&')}](${r.url})`);
    lines.push('');
  }
  return lines.join('\n');
}

export function rulesMarkdown() {
  const byCategory = new Map(CATEGORIES.map((c) => [c, []]));
  for (const rule of RULES) byCategory.get(rule.meta.category)?.push(rule);
  const out = [
    '# nnspec lint rules',
    '',
    '<!-- Generated from the rule catalogue (src/lint/rules/) by `npm run generate`; do not edit. -->',
    '',
    `\`nnspec lint\` runs everything \`nnspec check\` checks, plus the ${RULES.length} rule${RULES.length === 1 ? '' : 's'} below: lessons of how`,
    'convolutional networks are built and trained, each with its reasoning and where it comes from.',
    `Each rule has a level in each preset (\`off\`, \`warn\` or \`error\`); \`${CONFIG_FILE}\` picks a preset with`,
    '`extends` and sets rules with `rules` ([schema](../schema/lint-config.schema.json)). `recommended` is the',
    'default; `strict` turns every rule on as an error. A rule marked fixable offers a fix that cannot',
    'change what the model computes, applied by `nnspec lint --fix`. See the [README](../README.md#lint).',
    '',
    '## Contents',
    '',
  ];
  for (const [category, rules] of byCategory) {
    out.push(`- [${category}](#${category}) (${rules.length})`);
    for (const rule of rules) out.push(`  - [\`${rule.meta.id}\`](#${anchor(rule.meta.id)}): ${cell(rule.meta.description)}`);
  }
  out.push('');
  for (const [category, rules] of byCategory) {
    out.push(`## ${category}`, '');
    if (rules.length === 0) out.push('No rules in this category yet.', '');
    for (const rule of rules) out.push(ruleSection(rule));
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

// ---------------------------------------------------------------------------------------------
// schema/lint-config.schema.json
// ---------------------------------------------------------------------------------------------

const NO_OPTIONS = { type: 'object', properties: {}, additionalProperties: false };

function ruleSettingSchema(rule) {
  const m = rule.meta;
  const options = m.options ?? NO_OPTIONS;
  return {
    description: `${m.description} (${m.category}; recommended: ${presetLevel(rule, 'recommended')}${m.fixable ? '; fixable' : ''}; docs/rules.md#${anchor(m.id)})`,
    oneOf: [
      { $ref: '#/definitions/level' },
      {
        type: 'array',
        items: [{ $ref: '#/definitions/level' }, { ...structuredClone(options), description: m.options ? `options for ${m.id}` : `${m.id} takes no options` }],
        minItems: 1,
        maxItems: 2,
        additionalItems: false,
      },
    ],
  };
}

export function configSchema() {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://nnspec.dev/schema/lint-config.schema.json',
    title: `nnspec lint configuration (${CONFIG_FILE})`,
    description: `Generated from the rule catalogue by \`npm run generate\`; do not edit. See docs/rules.md.`,
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string', description: 'This schema, for editors.' },
      extends: { enum: [...PRESETS], default: 'recommended', description: 'The preset every rule not set under "rules" takes its level from: "recommended", or "strict" (every rule on, as an error).' },
      target: { enum: [...TARGETS], description: 'The framework the portability rules check against (--target overrides it).' },
      rules: {
        type: 'object',
        description: 'Rule id → "off" | "warn" | "error" | [level, options].',
        additionalProperties: false,
        properties: Object.fromEntries(RULES.map((rule) => [rule.meta.id, ruleSettingSchema(rule)])),
      },
    },
    definitions: {
      level: { enum: ['off', 'warn', 'error'], description: '"off", "warn" (a warning) or "error" (an error: exit 1).' },
    },
  };
}

export function generateAll() {
  return {
    'docs/rules.md': rulesMarkdown(),
    'schema/lint-config.schema.json': `${JSON.stringify(configSchema(), null, 2)}\n`,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [rel, content] of Object.entries(generateAll())) {
    const path = join(ROOT, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${rel}`);
  }
}
