/**
 * The nnspec layer catalogue (grammar/layers.md), generated from the layer declarations so
 * that the documentation cannot drift from what the compiler accepts.
 */
import type { FieldDecl } from './fields.js';
import { COMMON } from './expand.js';
import { LAYER_TYPES } from './layers.js';

function show(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `\`[${value.join(', ')}]\``;
  if (typeof value === 'object' && value !== null) return '';
  return `\`${String(value)}\``;
}

function row(name: string, d: FieldDecl): string {
  const requirement = d.required ? '**required**' : d.default !== undefined ? show(d.default) : '';
  return `| \`${name}\` | ${d.type.describe}${d.repeated ? ' (repeatable)' : ''} | ${requirement} | ${d.doc.replace(/\|/g, '\\|')} |`;
}

export function layerCatalogueMarkdown(): string {
  const out: string[] = [
    '# nnspec layer catalogue',
    '',
    '<!-- Generated from src/dialects/nnspec/layers.ts by `npm run generate`; do not edit. -->',
    '',
    'Every layer is written `Type { field: value … }`. Fields not written take the default shown',
    '(or come from a `defaults { Type { … } }` section). See [reference.md](reference.md) for the',
    'syntax and the sections of a file.',
    '',
    '## Fields every entry takes',
    '',
    '| field | value | default | meaning |',
    '| --- | --- | --- | --- |',
    ...Object.entries(COMMON).map(([n, d]) => row(n, d as FieldDecl)),
    '',
    '`seq { name: … <entries> }` groups entries (unnamed ones are numbered 0, 1, …, as PyTorch',
    'numbers `nn.Sequential` children); a block defined with `block { name: X args { … } … }` is',
    'used as a layer type `X { argument: value … }`.',
    '',
    '## Layer types',
    '',
  ];
  for (const l of [...LAYER_TYPES].sort((a, b) => a.type.localeCompare(b.type))) {
    out.push(`### ${l.type}`, '', l.summary, '');
    const fields = Object.entries(l.fields);
    if (fields.length === 0) out.push('No fields of its own.', '');
    else out.push('| field | value | default | meaning |', '| --- | --- | --- | --- |', ...fields.map(([n, d]) => row(n, d)), '');
    const aliases = Object.entries(l.aliases ?? {});
    if (aliases.length) out.push(`Not fields here: ${aliases.map(([a, why]) => `\`${a}\` (${why})`).join('; ')}.`, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
