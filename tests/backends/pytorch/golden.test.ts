/**
 * Whole emitted files against reviewed goldens (golden/pytorch/): a small chain, a
 * torchvision-shaped DAG with nested modules, and a Caffe net with fused BatchNorm+Scale,
 * in-place layers, multipliers and hostile names. Update with `npx vitest run -u` and review.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers.js';
import { emit } from './harness.js';

const golden = (name: string) => join(ROOT, 'golden/pytorch', name);

describe('PyTorch goldens', () => {
  it.each([
    ['lenet.py', 'specs/lenet.nnspec'],
    ['squeezenet1_1.py', 'specs/torchvision/squeezenet1_1.nnspec'],
  ])('%s', async (name, spec) => {
    const e = await emit(join(ROOT, spec), undefined, {}, 'weights.safetensors');
    await expect(e.code).toMatchFileSnapshot(golden(name));
  });

  it('caffe-block.py', async () => {
    const path = join(ROOT, 'tests/backends/pytorch/fixtures/block.prototxt');
    const e = await emit(path, readFileSync(path, 'utf8'));
    await expect(e.code).toMatchFileSnapshot(golden('caffe-block.py'));
  });
});
