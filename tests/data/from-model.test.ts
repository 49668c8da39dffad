import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile, compileText } from '../../src/compile.js';
import { DataPipeline } from '../../src/data/pipeline.js';
import { dataOptionsFromModel } from '../../src/data/from-model.js';
import { SyntheticDataset } from '../../src/data/sources/synthetic.js';
import { ROOT } from '../helpers.js';

describe('data options from a compiled spec', () => {
  it('LeNet: Caffe-style 0–255 input scaled by 1/256, shape [1, 28, 28]', async () => {
    const { model, errorCount } = await compileFile(join(ROOT, 'specs/lenet.nnspec'), { keepNodes: true });
    expect(errorCount).toBe(0);
    const o = dataOptionsFromModel(model);
    expect(o.inputShape).toEqual([1, 28, 28]);
    expect(o.inputMax).toBe(255);
    const ds = new SyntheticDataset({ shape: o.inputShape!, numClasses: 10, size: 4 });
    const p = await DataPipeline.create(ds, o);
    const raw = (await ds.get(0)).image;
    const got = (await p.prepare(0, 0, 'eval')).image;
    expect(got[100]).toBeCloseTo(raw[100]! * 0.00390625, 6);
  });

  it('ResNet-18: torchvision-style [0, 1] input with mean/std, and its augmentations', async () => {
    const { model, errorCount } = await compileFile(join(ROOT, 'specs/resnet18.nnspec'), { keepNodes: true });
    expect(errorCount).toBe(0);
    const o = dataOptionsFromModel(model);
    expect(o.inputMax).toBe(1);
    expect(o.augmentation?.map((a) => a.op)).toEqual(['random_resized_crop', 'hflip']);
    const ds = new SyntheticDataset({ shape: [3, 40, 40], numClasses: 5, size: 2 });
    const p = await DataPipeline.create(ds, { ...o, augmentation: [] });
    const raw = (await ds.get(1)).image;
    const got = (await p.prepare(1, 0, 'eval')).image;
    // Channel 1 (green) at pixel 7: (x/255 − 0.456) / 0.224.
    expect(got[1600 + 7]).toBeCloseTo((raw[1600 + 7]! / 255 - 0.456) / 0.224, 5);
  });

  it('reads every augmentation a spec writes', async () => {
    const text = `nnspec: 1
name: "aug"
input { name: data shape: [N, 3, 32, 32] }
Conv { name: c out: 4 kernel: 3 }
train {
  solver { type: sgd lr: 0.1 }
  augment {
    random_crop { size: 32 padding: 4 }
    hflip: true
    color_jitter { brightness: 0.2 hue: 0.1 }
    cutout { size: 8 }
    autoaugment { subpolicy { op { type: Rotate p: 0.5 magnitude: 3 } op { type: Equalize p: 0.2 magnitude: 0 } } }
    mixup { alpha: 0.2 }
  }
}
`;
    const { model, errorCount, diagnostics } = await compileText('aug.nnspec', text, { keepNodes: true });
    expect(errorCount, diagnostics.map((d) => d.message).join('\n')).toBe(0);
    const o = dataOptionsFromModel(model);
    const ds = new SyntheticDataset({ shape: o.inputShape!, numClasses: 3, size: 6 });
    const p = await DataPipeline.create(ds, o);
    expect(p.outputShape).toEqual([3, 32, 32]);
    expect(p.mixupAlpha).toBe(0.2);
    expect((await p.prepare(0, 0, 'train')).image.length).toBe(3 * 32 * 32);
  });
});
