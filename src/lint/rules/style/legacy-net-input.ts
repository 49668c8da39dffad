import type { TextEdit } from '../../rule.js';
import { defineRule } from '../../rule.js';
import { deleteField, indentAt, isV2Layer, topLevelFields } from './common.js';

const LEGACY = new Set(['input', 'input_dim', 'input_shape']);

export const rule = defineRule({
  meta: {
    id: 'style/legacy-net-input',
    category: 'style',
    recommended: 'warn',
    description: 'Net-level input / input_dim / input_shape fields, deprecated in favour of an Input layer.',
    explanation: [
      'Old deploy nets declare their inputs at the top of the file: `input: "data"` with four `input_dim` values (or an `input_shape`).',
      'Since 2016 Caffe has an Input layer, and it converts the old fields when it reads a net (UpgradeNetInput in upgrade_proto.cpp): one layer named "input" with those tops and shapes, placed before all other layers.',
      'Writing that layer yourself makes the input a layer like any other (it can carry include rules, and tools see it), and it is exactly what Caffe runs, so `--fix` rewrites the fields into it when they come before the layers.',
      'Only V2 files (`layer { … }`) are reported: the V1 `layers` format has no Input layer type.',
    ].join(' '),
    references: [
      { title: 'Caffe layer catalogue: Input', url: 'https://caffe.berkeleyvision.org/tutorial/layers/input.html' },
      { title: 'Caffe upgrade_proto.cpp: UpgradeNetInput', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/util/upgrade_proto.cpp' },
    ],
    options: null,
    fixable: true,
  },
  check(ctx) {
    if (ctx.model.dialect !== 'caffe' || ctx.model.format !== 'caffe-v2') return;
    const node = ctx.nodes.find((n) => n.op === 'input' && !isV2Layer(ctx, n));
    if (!node || node.op !== 'input') return;
    const text = ctx.source.text;
    const head = topLevelFields(text, (f) => f.name === 'layer' || f.name === 'layers');
    const legacy = head.filter((f) => LEGACY.has(f.name));
    const first = legacy[0];
    const names = node.outputs.map((o) => `'${o}'`).join(', ');
    const message = `the net declares ${node.outputs.length === 1 ? 'its input' : 'inputs'} ${names} with the deprecated net-level input fields; Caffe turns them into an Input layer named "input" when it reads the file: write that layer instead`;
    const shapes = node.attrs.shapes;
    // A fix only when every legacy field comes before the layers and says it all.
    const complete = first && node.name === 'input' && shapes.length === node.outputs.length && shapes.every((s) => s.length > 0 && s.every((d) => typeof d === 'number'));
    const all = complete ? topLevelFields(text).filter((f) => LEGACY.has(f.name)) : [];
    if (!complete || all.length !== legacy.length) {
      ctx.report({ node, message, hint: 'replace them with layer { name: "input" type: "Input" top: … input_param { shape { dim: … } } }' });
      return;
    }
    const indent = indentAt(text, first.start);
    const lines = [
      'layer {',
      '  name: "input"',
      '  type: "Input"',
      ...node.outputs.map((o) => `  top: ${JSON.stringify(o)}`),
      `  input_param {${shapes.map((s) => ` shape { ${s.map((d) => `dim: ${d}`).join(' ')} }`).join('')} }`,
      '}',
    ];
    const fix: TextEdit[] = [{ start: first.start, end: first.end, text: lines.join(`\n${indent}`) }, ...legacy.slice(1).map((f) => deleteField(text, f))];
    ctx.report({ span: { start: first.start, end: first.end }, message, hint: 'nnspec lint --fix writes the Input layer', fix });
  },
});
