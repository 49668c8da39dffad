/**
 * `nnspec convert`: the command a user runs. Output to stdout or atomically to -o; refusals and
 * bad usage with their exit codes and nothing written; --weights end to end, checked against
 * the caffemodel's raw blobs computed with torch ops (tests/convert/weights_reference.py).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, STACK_TRACE } from '../helpers.js';
import { announceSkip, runTorchHelper } from '../verify/torch.js';
import { PROTOC_SKIP_REASON, TINY_NET, TINY_VALUES, bn1, encodeNet, CONV1, SCALE1, FC1, DECONV1 } from '../weights/caffemodel-builder.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'nnspec-convert-'));
const LENET = join(ROOT, 'specs/lenet.nnspec');
const PYTHON_LAYER = `name: "p"\ninput: "data"\ninput_shape { dim: 1 dim: 3 dim: 4 dim: 4 }\nlayer { name: "py" type: "Python" bottom: "data" top: "py" python_param { module: "m" layer: "L" } }\n`;

describe('nnspec convert', () => {
  it('prints each target to stdout and exits 0', () => {
    for (const [to, marker] of [
      ['pytorch', 'class LeNet(nn.Module)'],
      ['caffe', 'type: "Convolution"'],
      ['nnspec', 'Conv { name: conv1'],
    ] as const) {
      const run = cli(['convert', LENET, '--to', to]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(marker);
    }
  });

  it('writes -o atomically: the file appears whole, nothing else is left beside it', () => {
    const dir = tmp();
    const out = join(dir, 'lenet.py');
    const run = cli(['convert', LENET, '--to', 'pytorch', '-o', out]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(cli(['convert', LENET, '--to', 'pytorch']).stdout);
    expect(readdirSync(dir)).toEqual(['lenet.py']);
  });

  it('refuses what the target cannot express: exit 1, the layer named, an existing -o file left as it was', () => {
    const dir = tmp();
    const src = join(dir, 'p.prototxt');
    writeFileSync(src, PYTHON_LAYER);
    const out = join(dir, 'p.py');
    writeFileSync(out, 'previous\n');
    const run = cli(['convert', src, '--to', 'pytorch', '-o', out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('convert/unsupported');
    expect(run.stderr).toContain("'py'");
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(readFileSync(out, 'utf8')).toBe('previous\n');
    expect(readdirSync(dir).sort()).toEqual(['p.prototxt', 'p.py']);
  });

  it('a file with errors converts to nothing (exit 1); usage mistakes exit 2', () => {
    const dir = tmp();
    const bad = join(dir, 'bad.prototxt');
    writeFileSync(bad, 'layer { name: "a" type: "ReLU" bottom: "missing" top: "a" }\n');
    const run = cli(['convert', bad, '--to', 'caffe']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('nothing converted');
    expect(cli(['convert', LENET]).status).toBe(2);
    expect(cli(['convert', LENET, '--to', 'onnx']).status).toBe(2);
    expect(cli(['convert', join(dir, 'absent.nnspec'), '--to', 'caffe']).stderr).toContain('cannot read');
    expect(cli(['convert', join(dir, 'absent.nnspec'), '--to', 'caffe']).status).toBe(2);
    const noOut = cli(['convert', LENET, '--to', 'pytorch', '--weights', join(dir, 'w.caffemodel')]);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toContain('--weights needs -o');
    expect(cli(['convert', LENET, '--to', 'caffe', '-o', join(dir, 'x'), '--weights', join(dir, 'w.caffemodel')]).status).toBe(2);
    expect(readdirSync(dir)).toEqual(['bad.prototxt']);
  });

  it.skipIf(PROTOC_SKIP_REASON !== null)('--weights: an unreadable or mismatched caffemodel writes nothing', () => {
    const dir = tmp();
    const out = join(dir, 'tiny.py');
    writeFileSync(join(dir, 'junk.caffemodel'), 'name: "not binary"\n');
    const junk = cli(['convert', TINY_NET, '--to', 'pytorch', '-o', out, '--weights', join(dir, 'junk.caffemodel')]);
    expect(junk.status).toBe(2);
    expect(junk.stderr).toContain('not a readable Caffe model');
    // conv1's weight stored with the wrong shape.
    const wrong = encodeNet([CONV1.replace('dim: 4 dim: 3 dim: 3 dim: 3', 'dim: 4 dim: 3 dim: 9'), bn1(4), SCALE1, FC1, DECONV1].join('\n'));
    writeFileSync(join(dir, 'wrong.caffemodel'), wrong);
    const mismatch = cli(['convert', TINY_NET, '--to', 'pytorch', '-o', out, '--weights', join(dir, 'wrong.caffemodel')]);
    expect(mismatch.status).toBe(1);
    expect(mismatch.stderr).toContain('weights/shape-mismatch');
    expect(readdirSync(dir).sort()).toEqual(['junk.caffemodel', 'wrong.caffemodel']);
  });
});

describe.skipIf(PROTOC_SKIP_REASON !== null)('nnspec convert --weights, against PyTorch', () => {
  it('the emitted module loads the converted weights and computes what Caffe computes from the raw blobs', async () => {
    const dir = tmp();
    const factor = 4;
    writeFileSync(join(dir, 'tiny.caffemodel'), encodeNet([CONV1, bn1(factor), SCALE1, FC1, DECONV1].join('\n')));
    const out = join(dir, 'tiny.py');
    const run = cli(['convert', TINY_NET, '--to', 'pytorch', '-o', out, '--weights', join(dir, 'tiny.caffemodel')]);
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(join(dir, 'tiny.safetensors'))).toBe(true);
    const result = await runTorchHelper<{ fc1: number; up1: number; fc1_shape: number[]; up1_shape: number[]; scale: number }>(
      '../convert/weights_reference.py',
      [out],
      JSON.stringify({ blobs: TINY_VALUES, bn_factor: factor }),
    );
    if (!result.ok) {
      announceSkip('tests/convert/cli.test.ts', result.reason);
      return;
    }
    expect(result.data.fc1_shape).toEqual([1, 5]);
    expect(result.data.up1_shape).toEqual([1, 2, 8, 8]);
    expect(result.data.scale).toBeGreaterThan(0.1);
    expect(result.data.fc1).toBeLessThan(1e-5 * Math.max(1, result.data.scale));
    expect(result.data.up1).toBeLessThan(1e-5 * Math.max(1, result.data.scale));
  });
});
