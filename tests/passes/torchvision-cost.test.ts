/**
 * The torchvision mirrors in specs/torchvision/ count what torchvision counts: trainable
 * parameters equal to `sum(p.numel() for p in model.parameters())`, and multiply-accumulates
 * (conv + linear, per image at 224×224) equal to the GFLOPS torchvision publishes in its model
 * table, to the two decimals it publishes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, specFiles } from '../helpers.js';
import { analyseFile, total } from './reference.js';

/** torchvision.models documentation, "Table of all available classification weights". */
const TORCHVISION: Record<string, { params: number; gflops: string }> = {
  alexnet: { params: 61_100_840, gflops: '0.71' },
  vgg16: { params: 138_357_544, gflops: '15.47' },
  resnet18: { params: 11_689_512, gflops: '1.81' },
  resnet50: { params: 25_557_032, gflops: '4.09' },
  squeezenet1_1: { params: 1_235_496, gflops: '0.35' },
  mobilenet_v2: { params: 3_504_872, gflops: '0.30' },
  googlenet: { params: 6_624_904, gflops: '1.50' },
};

const spec = (name: string) => join(ROOT, 'specs/torchvision', `${name}.nnspec`);

describe('torchvision mirrors: parameters and MACs as torchvision publishes them', () => {
  it.each(Object.keys(TORCHVISION))('%s', async (name) => {
    const a = await analyseFile(spec(name));
    expect(a.result.errorCount).toBe(0);
    expect(total(a.rows, 'trainableParams')).toBe(TORCHVISION[name]!.params);
    // Every conv/linear node has a known MAC count on a symbolic batch (per image).
    for (const r of a.rows) if (r.node.op === 'conv' || r.node.op === 'linear') expect(r.cost?.macs, r.node.name).toBeGreaterThan(0);
    expect((total(a.rows, 'macs') / 1e9).toFixed(2)).toBe(TORCHVISION[name]!.gflops);
  });

  it('resnet18: the non-trainable parameters are the BatchNorm running mean and variance', async () => {
    // torchvision resnet18: bn1 (64), then per stage two BasicBlocks of two BatchNorms each,
    // plus one BatchNorm in the downsample of stages 2–4.
    const stages = [
      { planes: 64, downsample: false },
      { planes: 128, downsample: true },
      { planes: 256, downsample: true },
      { planes: 512, downsample: true },
    ];
    let bnChannels = 64;
    for (const s of stages) bnChannels += 2 * 2 * s.planes + (s.downsample ? s.planes : 0);
    expect(bnChannels).toBe(4800);

    const a = await analyseFile(spec('resnet18'));
    const all = total(a.rows, 'params');
    const trainable = total(a.rows, 'trainableParams');
    expect(all - trainable).toBe(2 * bnChannels);
    // And they sit in the BatchNorm nodes, two per channel.
    const bnRows = a.rows.filter((r) => r.node.op === 'batchnorm');
    expect(bnRows).toHaveLength(20);
    expect(bnRows.reduce((s, r) => s + r.cost!.params - r.cost!.trainableParams, 0)).toBe(2 * bnChannels);
  });

  it('resnet18 MACs by hand, layer by layer', async () => {
    // Per image, a k×k convolution costs H_out·W_out·C_out·C_in·k², a linear layer in·out.
    const conv = (hw: number, cout: number, cin: number, k: number) => hw * hw * cout * cin * k * k;
    let macs = conv(112, 64, 3, 7);
    const stages: [number, number, number][] = [
      [56, 64, 64],
      [28, 128, 64],
      [14, 256, 128],
      [7, 512, 256],
    ];
    for (const [hw, planes, inplanes] of stages) {
      // First block: conv1 (maybe strided from inplanes), conv2, and the 1×1 downsample when the width changes.
      macs += conv(hw, planes, inplanes, 3) + conv(hw, planes, planes, 3);
      if (planes !== inplanes) macs += conv(hw, planes, inplanes, 1);
      // Second block.
      macs += 2 * conv(hw, planes, planes, 3);
    }
    macs += 512 * 1000;
    const a = await analyseFile(spec('resnet18'));
    expect(total(a.rows, 'macs')).toBe(macs);
  });
});

describe('no shipped spec merges unaligned paths', () => {
  it.each(specFiles())('%s', async (file) => {
    const a = await analyseFile(join(ROOT, file));
    expect(a.codes).not.toContain('rf/misaligned');
  });
});
