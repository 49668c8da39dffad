/**
 * Property: whatever the layer names, blob names and string settings (quotes, backslashes,
 * newlines, control and format characters, lone surrogates, dots, `#`), the printed nnspec
 * reads back to the same names and strings.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { emitNnspec } from '../../../src/backends/nnspec/index.js';
import { compileText } from '../../../src/compile.js';
import { DiagnosticBag } from '../../../src/diagnostics/diagnostic.js';
import { TORCH_DEFAULT_BIAS, TORCH_DEFAULT_WEIGHT } from '../../../src/ir/filler.js';
import { createNode, type Dialect, type Graph, type Model, type Node } from '../../../src/ir/graph.js';
import { SourceFile } from '../../../src/language/source.js';

const AT = { start: 0, end: 0 };

const tricky = fc.constantFrom('.', ' ', '"', "'", '\\', '\n', '\r', '\t', '#', '$', '\u2028', '\ufeff', '\ud800', '\udfff', '\x00', '\x7f', '\u0085', '0', 'é', '🙂', 'inf', 'input');
const text = fc.string({ unit: fc.oneof(tricky, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 12 });
const nonEmpty = text.filter((s) => s.length > 0);

function model(names: string[], strings: { type: string; setting: string; graph: string }, dialect: Dialect): Model & { graph: Graph } {
  const [x, a, b, c, d] = names as [string, string, string, string, string];
  const nodes: Node[] = [
    createNode('input', x, [], [x], { shapes: [[1, 3, 8, 8]], preprocess: null }, [], AT),
    createNode('conv', a, [x], [a], { num_output: 2, kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad_begin: [0, 0], pad_end: [0, 0], groups: 1, bias: true, axis: 1 }, [
      { name: 'weight', init: TORCH_DEFAULT_WEIGHT, lr_mult: 1, decay_mult: 1, trainable: true },
      { name: 'bias', init: TORCH_DEFAULT_BIAS, lr_mult: 1, decay_mult: 1, trainable: true },
    ], AT),
    createNode('relu', b, [a], [a], { negative_slope: 0 }, [], AT),
    createNode('opaque', c, [a], [c], { framework: 'caffe', type: strings.type, params: { python_param: { param_str: strings.setting } } }, [], AT),
    createNode('concat', d, [a, c], [d], { axis: 1 }, [], AT),
  ];
  return { file: 'p.prototxt', dialect, format: dialect === 'caffe' ? 'caffe-v2' : 'nnspec', graph: { name: strings.graph, phase: null, nodes }, train: null };
}

describe('nnspec printer properties', () => {
  test.prop([fc.uniqueArray(nonEmpty, { minLength: 5, maxLength: 5 }), text, text, text, fc.constantFrom<Dialect>('caffe', 'nnspec')], { numRuns: 300 })(
    'names and strings survive printing and re-parsing',
    async (names, type, setting, graph, dialect) => {
      const m = model(names, { type, setting, graph }, dialect);
      const diagnostics = new DiagnosticBag(new SourceFile(m.file, ''));
      const printed = emitNnspec({ model: m, source: new SourceFile(m.file, ''), reports: new Map(), diagnostics });
      expect(diagnostics.items.filter((d) => d.severity === 'error')).toEqual([]);
      const r = await compileText('printed.nnspec', printed!, { keepNodes: true });
      expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
      const back = r.model.graph!;
      expect(back.name).toBe(graph);
      expect(back.nodes.map((n) => [n.name, n.inputs, n.outputs])).toEqual(m.graph.nodes.map((n) => [n.name, n.inputs, n.outputs]));
      const opaque = back.nodes[3]!;
      expect(opaque.op === 'opaque' && [opaque.attrs.type, opaque.attrs.params]).toEqual([type, { python_param: { param_str: setting } }]);
    },
  );

  test.prop([fc.double({ noNaN: true }), fc.double({ noNaN: true }), fc.double({ noNaN: true }), fc.double({ noNaN: true })], { numRuns: 300 })(
    'numbers are printed shortest and read back as the same double (-0 and ±inf included)',
    async (power, scale, shift, slope) => {
      const nodes: Node[] = [
        createNode('input', 'x', [], ['x'], { shapes: [[1, 2]], preprocess: null }, [], AT),
        createNode('power', 'p', ['x'], ['p'], { power, scale, shift }, [], AT),
        createNode('relu', 'r', ['p'], ['r'], { negative_slope: slope }, [], AT),
      ];
      const m: Model & { graph: Graph } = { file: 'n.nnspec', dialect: 'nnspec', format: 'nnspec', graph: { name: '', phase: null, nodes }, train: null };
      const printed = emitNnspec({ model: m, source: new SourceFile(m.file, ''), reports: new Map(), diagnostics: new DiagnosticBag(new SourceFile(m.file, '')) });
      for (const x of [power, scale, shift, slope]) if (Number.isFinite(x) && !Object.is(x, -0) && x !== 0) expect(printed).toContain(String(Math.abs(x)));
      const r = await compileText('printed.nnspec', printed!, { keepNodes: true });
      expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
      expect(r.model.graph!.nodes.map((n) => n.attrs)).toEqual(nodes.map((n) => n.attrs));
    },
  );

  test.prop([fc.double({ noNaN: true, min: 1e-6, max: 1e3 }), fc.constantFrom('normal', 'uniform', 'truncated_normal' as const), fc.constantFrom('fan_in', 'fan_out', 'fan_avg' as const)], { numRuns: 200 })(
    'a variance-scaling initialiser is printed exactly or refused, never approximated',
    async (scale, distribution, mode) => {
      const init = { type: 'variance_scaling' as const, distribution, mode, scale, fan_of: 'self' as const };
      const nodes: Node[] = [
        createNode('input', 'x', [], ['x'], { shapes: [[1, 2]], preprocess: null }, [], AT),
        createNode('linear', 'fc', ['x'], ['fc'], { num_output: 2, axis: 1, bias: false, transpose: false, weight_drop_prob: 0 }, [{ name: 'weight', init, lr_mult: 1, decay_mult: 1, trainable: true }], AT),
      ];
      const m: Model & { graph: Graph } = { file: 'n.nnspec', dialect: 'nnspec', format: 'nnspec', graph: { name: '', phase: null, nodes }, train: null };
      const diagnostics = new DiagnosticBag(new SourceFile(m.file, ''));
      const printed = emitNnspec({ model: m, source: new SourceFile(m.file, ''), reports: new Map(), diagnostics });
      if (printed === null) {
        expect(diagnostics.items.map((d) => d.message)).toEqual([expect.stringMatching(/^layer 'fc' \(linear\): nnspec cannot express the initialiser \w+\/\w+ with scale /)]);
        return;
      }
      const r = await compileText('printed.nnspec', printed, { keepNodes: true });
      expect(r.model.graph!.nodes[1]!.params[0]!.init).toEqual(init);
    },
  );
});
