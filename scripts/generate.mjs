#!/usr/bin/env node
// Regenerates every checked-in artefact derived from the code (after `npm run build`):
//   schema/ir.schema.json     the IR's JSON Schema (from the operation registry)
//   grammar/layers.md         the nnspec layer catalogue (from the layer declarations)
//   grammar/railroad.html, grammar/*.tmLanguage.json   (scripts/generate-grammar.mjs)
//   docs/rules.md, schema/lint-config.schema.json       (scripts/generate-rules.mjs)
// Tests fail when a checked-in copy is stale.
import { writeFileSync } from 'node:fs';
import { buildIrSchema } from '../dist/ir/ir-schema.js';
import { layerCatalogueMarkdown } from '../dist/dialects/nnspec/catalogue.js';
import { generateAll } from './generate-grammar.mjs';
import { generateAll as generateRules } from './generate-rules.mjs';

const root = new URL('../', import.meta.url);
const files = {
  'schema/ir.schema.json': `${JSON.stringify(buildIrSchema(), null, 2)}\n`,
  'grammar/layers.md': layerCatalogueMarkdown(),
  ...generateAll(),
  ...generateRules(),
};
for (const [path, content] of Object.entries(files)) {
  writeFileSync(new URL(path, root), content);
  console.log(`wrote ${path}`);
}
