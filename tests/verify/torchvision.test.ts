/**
 * nnspec's analysis of specs/torchvision/*.nnspec against torchvision itself.
 *
 * The ground truth comes from PyTorch (torchvision_shapes.py): each model is built with
 * weights=None, run once on zeros of shape [1, 3, 224, 224] with a forward hook on every leaf
 * module, and its parameters and BatchNorm running statistics are counted. Nothing expected
 * here is computed by nnspec. Checked, per model:
 * - the spec compiles without errors and every node's shapes are known;
 * - total trainable parameters (Σ cost.trainableParams) = Σ p.numel() over model.parameters();
 * - non-trainable parameters (Σ cost.params − trainable) = the BN running_mean/running_var count;
 * - every torch leaf module (every call of it) has an nnspec node of the same dotted name
 *   (a few explicit aliases where torchvision reuses one ReLU module), and that node's output
 *   shape, parameter count and running-statistics count equal torch's;
 * - the last node's output is torch's output, [1, 1000].
 * Skipped, with the reason, when /usr/bin/python3 cannot import torch and torchvision.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileFile } from '../../src/compile.js';
import type { NodeReport } from '../../src/passes/analyze.js';
import { ROOT } from '../helpers.js';
import { announceSkip, formatShape, runTorchHelper } from './torch.js';

interface TorchModel {
  params: number;
  bn_running: number;
  output: number[];
  /** Dotted leaf-module name → the output shape of each call, in call order. */
  modules: Record<string, number[][]>;
  /** Dotted module name → [its own parameters, its BN running statistics]. */
  module_params: Record<string, [number, number]>;
}
interface Truth {
  torch: string;
  torchvision: string;
  models: Record<string, TorchModel>;
}

const SPEC_DIR = join(ROOT, 'specs/torchvision');
const MODELS = ['alexnet', 'vgg16', 'resnet18', 'resnet50', 'squeezenet1_1', 'mobilenet_v2', 'googlenet'];
const INPUT: number[] = [1, 3, 224, 224];

/**
 * Where torchvision calls one module several times and the spec names each use: the nnspec
 * node → [torch module, index of the call]. torchvision's BasicBlock calls `relu` after bn1 and
 * after the addition; its Bottleneck calls it after bn1, bn2 and the addition.
 */
const ALIASES: Record<string, (node: string) => [string, number] | null> = {
  resnet18: (n) => {
    const m = /^(layer\d\.\d+)\.relu(_out)?$/.exec(n);
    return m ? [`${m[1]}.relu`, m[2] ? 1 : 0] : null;
  },
  resnet50: (n) => {
    const m = /^(layer\d\.\d+)\.relu([123])$/.exec(n);
    return m ? [`${m[1]}.relu`, Number(m[2]) - 1] : null;
  },
};

/**
 * nnspec nodes that have no torch module, by operation: what torchvision does with functions
 * in forward() (torch.flatten, F.relu in GoogLeNet's BasicConv2d, F.adaptive_avg_pool2d in
 * MobileNetV2, + as eltwise, torch.cat) and the input.
 */
const FUNCTIONAL_OPS: Record<string, string[]> = {
  alexnet: ['input', 'flatten'],
  vgg16: ['input', 'flatten'],
  resnet18: ['input', 'flatten', 'eltwise'],
  resnet50: ['input', 'flatten', 'eltwise'],
  squeezenet1_1: ['input', 'flatten', 'concat'],
  mobilenet_v2: ['input', 'flatten', 'eltwise', 'adaptive_pool', 'global_pool'],
  googlenet: ['input', 'flatten', 'concat', 'relu'],
};

const truth = await runTorchHelper<Truth>('torchvision_shapes.py', MODELS);
if (!truth.ok) announceSkip('tests/verify/torchvision.test.ts', truth.reason);
const title = truth.ok
  ? `specs/torchvision against torchvision ${truth.data.torchvision} (torch ${truth.data.torch}, measured in ${truth.seconds.toFixed(1)} s)`
  : `specs/torchvision against torchvision (skipped: ${truth.reason})`;

interface Analysis {
  errors: string[];
  rows: NodeReport[];
}

async function analyse(model: string): Promise<Analysis> {
  const path = join(SPEC_DIR, `${model}.nnspec`);
  const text = readFileSync(path, 'utf8');
  const input = /^input\s*\{\s*name:\s*([\w.]+)/m.exec(text)?.[1];
  if (!input) throw new Error(`${path}: no 'input { name: … }' found`);
  const rows: NodeReport[] = [];
  const result = await compileFile(path, { onReport: (r) => rows.push(r), inputShapes: new Map([[input, INPUT]]) });
  return {
    errors: result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`),
    rows,
  };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const same = (a: readonly unknown[] | null | undefined, b: readonly unknown[]) => !!a && a.length === b.length && a.every((x, i) => x === b[i]);

test('every spec in specs/torchvision is verified here', () => {
  const specs = readdirSync(SPEC_DIR)
    .filter((f) => f.endsWith('.nnspec'))
    .map((f) => f.replace(/\.nnspec$/, ''))
    .sort();
  expect(specs).toEqual([...MODELS].sort());
});

describe.skipIf(!truth.ok)(title, () => {
  const models = truth.ok ? truth.data.models : {};
  for (const model of MODELS) {
    describe(model, () => {
      let nn: Analysis;
      let torch: TorchModel;
      beforeAll(async () => {
        nn = await analyse(model);
        torch = models[model]!;
      });

      test('compiles without errors, every shape known', () => {
        expect(nn.errors).toEqual([]);
        const unknown = nn.rows.filter((r) => r.outputs.some((o) => !o.shape || o.shape.some((d) => typeof d !== 'number'))).map((r) => r.node.name);
        expect(unknown, 'nodes whose output shape nnspec does not know').toEqual([]);
      });

      test('parameter counts: trainable = torch parameters, non-trainable = BN running statistics', () => {
        const trainable = sum(nn.rows.map((r) => r.cost?.trainableParams ?? 0));
        const all = sum(nn.rows.map((r) => r.cost?.params ?? 0));
        expect({ trainable, nonTrainable: all - trainable }).toEqual({ trainable: torch.params, nonTrainable: torch.bn_running });
      });

      test('every torch leaf module has a node of its name with its output shape and parameters', () => {
        const mismatches: string[] = [];
        const covered = new Set<string>();
        const extras: string[] = [];
        const alias = ALIASES[model];
        for (const r of nn.rows) {
          const name = r.node.name;
          const target: [string, number] | null = alias?.(name) ?? (torch.modules[name] ? [name, 0] : null);
          if (!target) {
            extras.push(`${name} (${r.node.op})`);
            if (!FUNCTIONAL_OPS[model]!.includes(r.node.op)) mismatches.push(`${name} (${r.node.op}): no torch module of that name`);
            continue;
          }
          const [module, call] = target;
          const calls = torch.modules[module];
          const expected = calls?.[call];
          if (!expected) {
            mismatches.push(`${name}: torch module '${module}' has no call #${call + 1} (${calls?.length ?? 0} calls)`);
            continue;
          }
          covered.add(`${module}#${call}`);
          const shape = r.outputs[0]?.shape;
          if (!same(shape, expected)) mismatches.push(`${name} (${r.node.op}): output shape nnspec ${formatShape(shape)}, torch ${formatShape(expected)}`);
          const [own, running] = torch.module_params[module] ?? [0, 0];
          const trainable = r.cost?.trainableParams ?? 0;
          const nonTrainable = (r.cost?.params ?? 0) - trainable;
          // A module called several times owns its parameters once; ReLUs have none.
          if (call === 0 && (trainable !== own || nonTrainable !== running)) {
            mismatches.push(`${name} (${r.node.op}): parameters nnspec ${trainable} trainable + ${nonTrainable} running, torch ${own} + ${running}`);
          }
        }
        for (const [module, calls] of Object.entries(torch.modules)) {
          calls.forEach((shape, i) => {
            if (!covered.has(`${module}#${i}`)) mismatches.push(`torch ${module} (call ${i + 1} of ${calls.length}, ${formatShape(shape)}): no nnspec node`);
          });
        }
        for (const module of Object.keys(torch.module_params)) {
          if (!torch.modules[module]) mismatches.push(`torch ${module} owns parameters but is not a leaf module`);
        }
        expect(mismatches, `${model}: ${mismatches.length} mismatches\n${mismatches.join('\n')}\n(nnspec nodes without a torch module: ${extras.join(', ')})`).toEqual([]);
        expect(covered.size).toBeGreaterThan(10);
      });

      test('final output is torch’s [1, 1000]', () => {
        const last = nn.rows[nn.rows.length - 1]!;
        expect(torch.output).toEqual([1, 1000]);
        expect(last.outputs[0]?.shape, `last node '${last.node.name}'`).toEqual(torch.output);
      });
    });
  }
});
