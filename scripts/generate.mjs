#!/usr/bin/env node
// Regenerates the checked-in artefacts derived from the code (run after `npm run build`):
// the IR JSON Schema. Tests fail when a checked-in copy is stale.
import { writeFileSync } from 'node:fs';
import { buildIrSchema } from '../dist/ir/ir-schema.js';

const root = new URL('../', import.meta.url);
writeFileSync(new URL('schema/ir.schema.json', root), `${JSON.stringify(buildIrSchema(), null, 2)}\n`);
console.log('wrote schema/ir.schema.json');
