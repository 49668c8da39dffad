/**
 * What nnspec cannot say is refused at the layer, naming it and the feature; exact rewrites
 * are notes. Each case is a small Caffe net written here.
 */
import { describe, expect, it } from 'vitest';
import { asNnspecStates, compilePrinted, irOf, printNnspec } from './roundtrip.js';

const INPUT = 'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n';

async function convert(layers: string, extra = '') {
  const p = await printNnspec('net.prototxt', { phase: 'TEST' }, `name: "t"\n${extra}${INPUT}${layers}`);
  expect(p.inputErrors).toBe(0);
  return { text: p.text, errors: p.diagnostics.filter((d) => d.severity === 'error'), notes: p.diagnostics.filter((d) => d.code === 'convert/rewrite') };
}

describe('nnspec printer refusals', () => {
  it.each([
    ['fc', 'InnerProduct', 'inner_product_param { num_output: 2 transpose: true }', /transpose/],
    ['fc', 'InnerProduct', 'inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.1 sparse: 3 } }', /sparse Gaussian/],
    ['bn', 'BatchNorm', 'batch_norm_param { use_global_stats: false }', /scale factor, while they are updated/],
  ])('layer %s (%s with %s) is refused with the feature named', async (name, type, params, feature) => {
    const r = await convert(`layer { name: "${name}" type: "${type}" bottom: "data" top: "${name}" ${params} }\n`);
    expect(r.text).toBeNull();
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.code).toBe('convert/unsupported');
    expect(r.errors[0]!.message).toMatch(new RegExp(`^layer '${name}' \\(\\w+\\): nnspec cannot express `));
    expect(r.errors[0]!.message).toMatch(feature);
  });

  it('refuses propagate_down, which nnspec has no word for', async () => {
    const r = await convert('layer { name: "c" type: "Convolution" bottom: "data" top: "c" propagate_down: false convolution_param { num_output: 2 kernel_size: 1 } }\n');
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^layer 'c' \(conv\): .*propagate_down/)]);
  });

  it('refuses a second source layer, which nnspec would feed the previous output', async () => {
    const r = await convert('layer { name: "p" type: "Parameter" top: "p" parameter_param { shape { dim: 2 } } }\n');
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^layer 'p' \(parameter\): .*without inputs after the first/)]);
  });

  it('keeps frozen Caffe BatchNorm as statistics: running, with a note and a comment', async () => {
    const r = await convert('layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" batch_norm_param { use_global_stats: true } }\n');
    expect(r.errors).toEqual([]);
    expect(r.notes.map((n) => n.message)).toEqual([expect.stringMatching(/^BatchNorm 'bn' uses frozen statistics/)]);
    expect(r.text).toContain('# Caffe: use_global_stats, moving_average_fraction 0.999');
    expect(r.text).toMatch(/^BatchNorm \{ name: bn top: data momentum: 0\.0010000000000000009 statistics: running affine: false \}$/m);
  });

  it('names the input layer it renames after its blob, in a comment no name can end early', async () => {
    const p = await printNnspec('net.prototxt', {}, 'layer { name: "in\\nReLU { }" type: "Input" top: "x" input_param { shape { dim: 1 dim: 2 } } }\n');
    expect(p.text).toContain("# Caffe: the input layer 'in ReLU { }'\ninput { name: x shape: [1, 2] }\n");
    expect(p.diagnostics.filter((d) => d.code === 'convert/rewrite').map((d) => d.message)).toEqual([expect.stringContaining('becomes input { name: x }')]);
    const back = await compilePrinted(p.text!);
    expect(back.ir!.nodes.map((n) => n.op)).toEqual(['input']);
  });

  const solver = (policy: string) =>
    `net_param { name: "n" ${INPUT} layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 2 } } }
base_lr: 0.01 momentum: 0.9 lr_policy: "${policy}" stepsize: 10 gamma: 0.5 max_iter: 100 display: 10 snapshot_prefix: "snap\\nshot"\n`;

  it('prints a Caffe solver as the train section, with Caffe-only settings as comments', async () => {
    const p = await printNnspec('solver.prototxt', { phase: 'TRAIN' }, solver('fixed'));
    expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(p.text).toContain('#   display: 10\n#   snapshot_prefix: "snap\\nshot"\n');
    expect(p.text).toMatch(/^train \{\n {2}solver \{ lr: 0\.01 momentum: 0\.9 \}\n/m);
    const back = await compilePrinted(p.text!);
    expect(back.errors).toEqual([]);
    expect(back.ir!.train).toEqual(asNnspecStates(irOf(p.model!, p.source!)).train);
  });

  it("refuses Caffe's momentum convention once the learning rate changes", async () => {
    const p = await printNnspec('solver.prototxt', { phase: 'TRAIN' }, solver('step'));
    expect(p.text).toBeNull();
    expect(p.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([expect.stringMatching(/^the training setup: nnspec cannot express Caffe's momentum convention .* 'step' policy/)]);
  });
});
