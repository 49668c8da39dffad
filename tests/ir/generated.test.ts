/**
 * Artefacts generated from the code and checked in: they must match what the code generates
 * now, and every IR the tool prints must match the schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../src/compile.js';
import { layerCatalogueMarkdown } from '../../src/dialects/nnspec/catalogue.js';
import { buildIrSchema } from '../../src/ir/ir-schema.js';
import { modelJson } from '../../src/ir/json.js';
import { OPS } from '../../src/ir/ops/index.js';
import { irValidator, validateIr } from '../../src/ir/validate.js';
import { ROOT, specFiles } from '../helpers.js';

const STALE = 'is stale: run `npm run generate` and review the change';

describe('generated artefacts', () => {
  it('schema/ir.schema.json matches the operation registry', () => {
    const onDisk = readFileSync(join(ROOT, 'schema/ir.schema.json'), 'utf8');
    expect(onDisk, `schema/ir.schema.json ${STALE}`).toBe(`${JSON.stringify(buildIrSchema(), null, 2)}\n`);
  });

  it('grammar/layers.md matches the layer declarations', () => {
    const onDisk = readFileSync(join(ROOT, 'grammar/layers.md'), 'utf8');
    expect(onDisk, `grammar/layers.md ${STALE}`).toBe(layerCatalogueMarkdown());
  });

  it('is a valid JSON Schema that ajv compiles in strict mode', () => {
    expect(() => irValidator({ strict: true })).not.toThrow();
  });

  it('registers every operation under its own name', () => {
    for (const [key, def] of Object.entries(OPS)) expect(def.name).toBe(key);
  });
});

describe('the IR schema', () => {
  it.each(specFiles())('accepts the IR of %s', async (file) => {
    const r = await compileFile(join(ROOT, file), { keepNodes: true });
    expect(r.errorCount).toBe(0);
    expect(validateIr(modelJson(r.model, r.source))).toEqual([]);
  });

  it('rejects IR that breaks it', async () => {
    const r = await compileFile(join(ROOT, 'specs/lenet.nnspec'), { keepNodes: true });
    const doc = modelJson(r.model, r.source) as { graph: { nodes: Record<string, unknown>[] } };
    (doc.graph.nodes[1]!.attrs as Record<string, unknown>).num_output = -3;
    expect(validateIr(doc).length).toBeGreaterThan(0);
    const extra = modelJson(r.model, r.source) as { graph: { nodes: Record<string, unknown>[] } };
    (extra.graph.nodes[1]!.attrs as Record<string, unknown>).kernel_size = 3;
    expect(validateIr(extra).length).toBeGreaterThan(0);
  });
});
