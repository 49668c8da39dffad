import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../src/compile.js';
import { toJson } from '../../src/diagnostics/format.js';
import { loadConfig } from '../../src/lint/config.js';
import { applyEdits, lintFile } from '../../src/lint/lint.js';
import { RULES } from '../../src/lint/rules/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nnspec-lint-style-'));
let count = 0;

function write(text: string, ext = 'prototxt'): string {
  const path = join(dir, `t${count++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

async function lintPath(path: string, id: string) {
  const result = await lintFile(path, await loadConfig(null, { rules: [{ id, level: 'error' }] }));
  const text = readFileSync(path, 'utf8');
  const found = result.diagnostics
    .filter((d) => d.code === id)
    .map((d) => {
      const j = toJson(d);
      return { line: j.line, column: j.column, severity: j.severity, message: j.message, text: text.slice(d.span.start, d.span.end) };
    });
  return { result, found };
}

async function lint(text: string, id: string) {
  return (await lintPath(write(text), id)).found;
}

function at(text: string, needle: string): { line: number; column: number } {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`'${needle}' not in the text`);
  const before = text.slice(0, i).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** What a compiled file means, without where it was written: the nodes (minus spans), the training setup and the format. */
async function meaning(path: string, phase: 'TRAIN' | 'TEST' = 'TEST'): Promise<string> {
  const r = await compileFile(path, { keepNodes: true, phase });
  const nodes = (r.model.graph?.nodes ?? []).map(({ span, instantiated_at, ...rest }) => rest);
  return JSON.stringify({ nodes, train: r.model.train, format: r.model.format, errors: r.errorCount });
}

/**
 * `--fix` end to end: the rule's fixes applied to the text, the result linted again (the
 * finding is gone) and compiled to the same IR in both phases.
 */
async function fixed(text: string, id: string): Promise<string> {
  const path = write(text);
  const { result } = await lintPath(path, id);
  const edits = [...result.fixes.entries()].filter(([d]) => d.code === id).flatMap(([, e]) => e);
  expect(edits.length).toBeGreaterThan(0);
  const out = applyEdits(text, edits).text;
  const after = write(out);
  expect((await lintPath(after, id)).found).toEqual([]);
  for (const phase of ['TRAIN', 'TEST'] as const) expect(await meaning(after, phase)).toBe(await meaning(path, phase));
  return out;
}

const input = 'layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 dim: 8 dim: 8 } } }\n';

describe('style/deprecated-axis-alias', () => {
  const id = 'style/deprecated-axis-alias';
  const concat = `${input}layer {
  name: "cat"
  type: "Concat"
  bottom: "data"
  bottom: "data"
  top: "cat"
  concat_param { concat_dim: 1 }
}
`;
  const slice = `${input}layer { name: "halves" type: "Slice" bottom: "data" top: "a" top: "b" slice_param { slice_dim: 1 slice_point: 2 } }\n`;

  it('reports concat_dim at the field, with a fix that renames it', async () => {
    expect(await lint(concat, id)).toEqual([
      {
        ...at(concat, 'concat_dim'),
        severity: 'error',
        text: 'concat_dim: 1',
        message: "'cat' uses the deprecated concat_dim; write axis, which means the same (concat_dim: 1 is axis: 1)",
      },
    ]);
    expect(await fixed(concat, id)).toBe(concat.replace('concat_dim: 1', 'axis: 1'));
  });

  it('reports slice_dim and fixes it', async () => {
    const found = await lint(slice, id);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'slice_dim: 1', message: "'halves' uses the deprecated slice_dim; write axis, which means the same (slice_dim: 1 is axis: 1)" });
    expect(await fixed(slice, id)).toBe(slice.replace('slice_dim: 1', 'axis: 1'));
  });

  it('passes axis, both fields (an error check reports), and V1 files', async () => {
    expect(await lint(concat.replace('concat_dim', 'axis'), id)).toEqual([]);
    const both = concat.replace('concat_dim: 1', 'concat_dim: 1 axis: 1');
    const path = write(both);
    const { result, found } = await lintPath(path, id);
    expect(found).toEqual([]);
    expect(result.diagnostics.some((d) => d.code === 'caffe/conflicting-fields')).toBe(true);
    const v1 = `input: "data"
input_dim: 1 input_dim: 4 input_dim: 8 input_dim: 8
layers { name: "cat" type: CONCAT bottom: "data" bottom: "data" top: "cat" concat_param { concat_dim: 1 } }
`;
    expect(await lint(v1, id)).toEqual([]);
  });
});

describe('style/deprecated-loss-normalize', () => {
  const id = 'style/deprecated-loss-normalize';
  const net = (lossParam: string, type = 'SoftmaxWithLoss') => `${input}layer { name: "label" type: "Input" top: "label" input_param { shape { dim: 1 } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 3 } }
layer {
  name: "loss"
  type: "${type}"
  bottom: "fc"
  bottom: "label"
  top: "loss"
  loss_param { ignore_label: 255 ${lossParam} }
}
`;

  it('reports normalize: false and fixes it to normalization: BATCH_SIZE', async () => {
    const text = net('normalize: false');
    expect(await lint(text, id)).toEqual([
      {
        ...at(text, 'normalize: false'),
        severity: 'error',
        text: 'normalize: false',
        message: "'loss' uses the deprecated loss_param normalize: false; write normalization: BATCH_SIZE, which is what Caffe reads it as (divide by the batch size)",
      },
    ]);
    expect(await fixed(text, id)).toBe(text.replace('normalize: false', 'normalization: BATCH_SIZE'));
  });

  it('fixes normalize: true to VALID', async () => {
    const text = net('normalize: true');
    expect(await fixed(text, id)).toBe(text.replace('normalize: true', 'normalization: VALID'));
  });

  it('passes normalization, and losses that read neither field', async () => {
    expect(await lint(net('normalization: VALID'), id)).toEqual([]);
    expect(await lint(net('normalize: true', 'HingeLoss'), id)).toEqual([]);
  });
});

describe('style/legacy-net-input', () => {
  const id = 'style/legacy-net-input';
  const body = 'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 } }\n';

  it('reports input/input_dim at the first field and fixes them into an Input layer named "input"', async () => {
    const text = `name: "Net"
input: "data"
input_dim: 10
input_dim: 3
input_dim: 32
input_dim: 32
${body}`;
    expect(await lint(text, id)).toEqual([
      {
        ...at(text, 'input: "data"'),
        severity: 'error',
        text: 'input: "data"',
        message: "the net declares its input 'data' with the deprecated net-level input fields; Caffe turns them into an Input layer named \"input\" when it reads the file: write that layer instead",
      },
    ]);
    expect(await fixed(text, id)).toBe(`name: "Net"
layer {
  name: "input"
  type: "Input"
  top: "data"
  input_param { shape { dim: 10 dim: 3 dim: 32 dim: 32 } }
}
${body}`);
  });

  it('fixes several inputs with input_shape', async () => {
    const text = `input: "data"
input_shape { dim: 1 dim: 3 dim: 16 dim: 16 }
input: "im_info"
input_shape { dim: 1 dim: 3 }
${body}`;
    const out = await fixed(text, id);
    expect(out).toContain('  top: "data"\n  top: "im_info"\n  input_param { shape { dim: 1 dim: 3 dim: 16 dim: 16 } shape { dim: 1 dim: 3 } }\n}\n');
    expect(out).not.toContain('input_shape');
  });

  it('reports, without a fix, inputs declared after the layers', async () => {
    const text = `${body}input: "data"\ninput_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8\n`;
    const path = write(text);
    const { result, found } = await lintPath(path, id);
    expect(found).toHaveLength(1);
    expect([...result.fixes.keys()].filter((d) => d.code === id)).toEqual([]);
  });

  it('passes Input layers and V1 files', async () => {
    expect(await lint(`${input}${body}`, id)).toEqual([]);
    expect(await lint('input: "data"\ninput_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8\nlayers { name: "r" type: RELU bottom: "data" top: "data" }\n', id)).toEqual([]);
  });
});

describe('style/deprecated-solver-type', () => {
  const id = 'style/deprecated-solver-type';
  const solver = (type: string) => `base_lr: 0.01
lr_policy: "fixed"
max_iter: 100
${type}
momentum: 0.9
`;

  it('reports solver_type and fixes it to the type string Caffe upgrades it to', async () => {
    const text = solver('solver_type: ADAM');
    expect(await lint(text, id)).toEqual([
      {
        ...at(text, 'solver_type'),
        severity: 'error',
        text: 'solver_type: ADAM',
        message: 'solver_type: ADAM is deprecated; write type: "Adam", which is what Caffe reads it as',
      },
    ]);
    expect(await fixed(text, id)).toBe(solver('type: "Adam"'));
  });

  it('reads a numeric enum value (2 is ADAGRAD)', async () => {
    expect(await fixed(solver('solver_type: 2'), id)).toBe(solver('type: "AdaGrad"'));
  });

  it('passes type, and nets', async () => {
    expect(await lint(solver('type: "Nesterov"'), id)).toEqual([]);
    expect(await lint(input, id)).toEqual([]);
  });
});

describe('style rules', () => {
  it('are fixable and say so', () => {
    for (const rule of RULES.filter((r) => r.meta.category === 'style')) expect(rule.meta.fixable).toBe(true);
  });
});
