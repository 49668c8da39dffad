import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OP_NAMES } from '../../../src/ir/ops/index.js';
import { ROOT, specFiles } from '../../helpers.js';
import { compilePrinted, irOf, printNnspec } from './roundtrip.js';

describe('nnspec printer: shipped specs', () => {
  it('finds the shipped specs', () => {
    expect(specFiles().length).toBeGreaterThanOrEqual(8);
  });

  it.each(specFiles())('%s: the printed text compiles to the same IR, and printing it again changes nothing', async (file) => {
    const path = join(ROOT, file);
    const first = await printNnspec(path);
    expect(first.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(first.text).not.toBeNull();
    const back = await compilePrinted(first.text!, path);
    expect(back.errors.map((d) => d.message)).toEqual([]);
    expect(back.ir).toEqual(irOf(first.model!, first.source!));
    const second = await printNnspec(path, {}, first.text!);
    expect(second.text).toBe(first.text);
  });

  it('writes a chain without blob names and a residual merge with them', async () => {
    const { text } = await printNnspec(join(ROOT, 'specs/torchvision/resnet18.nnspec'));
    expect(text).toMatch(/^Conv \{ name: conv1 out: 64 kernel: 7 stride: 2 pad: 3 \}$/m);
    expect(text).toMatch(/^ {4}Add \{ name: add bottom: \[bn2, input\] \}$/m);
    expect(text).not.toMatch(/^Conv \{[^\n]*bottom/m);
    // The original file's scopes come back as nested seqs, not as dotted names.
    expect(text).not.toContain('layer1.0');
    expect(text).toContain('seq {\n  name: layer1\n');
    expect(readFileSync(join(ROOT, 'specs/torchvision/resnet18.nnspec'), 'utf8')).toContain('seq { name: layer1');
  });

  it('every layer type with settings other than its defaults comes back the same, and as a fixed point', async () => {
    const path = join(ROOT, 'tests/backends/nnspec/fixtures/every-layer.nnspec');
    const first = await printNnspec(path, { analyze: false });
    expect(first.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const ir = irOf(first.model!, first.source!);
    // Data and Parameter read nothing, so nnspec places them only before any input exists (refusals.test.ts).
    expect(OP_NAMES.filter((op) => !ir.nodes.some((n) => n.op === op))).toEqual(['data', 'parameter']);
    const back = await compilePrinted(first.text!, path);
    expect(back.errors.map((d) => d.message)).toEqual([]);
    expect(back.ir).toEqual(ir);
    expect((await printNnspec(path, { analyze: false }, first.text!)).text).toBe(first.text);
  });
});
