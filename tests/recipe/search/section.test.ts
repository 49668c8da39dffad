/**
 * The spec's `search { … }` section: what it binds to, the errors it gets (with the span of the
 * text at fault), and that the nnspec printer writes it back so it binds to the same thing.
 */
import { describe, expect, it } from 'vitest';
import { prepareBackendInput } from '../../../src/backends/backend.js';
import { emitNnspec } from '../../../src/backends/nnspec/index.js';
import { compileText } from '../../../src/compile.js';

const NET = `nnspec: 1
name: t
input { name: x shape: [N, 1, 8, 8] }
Linear { name: fc1 out: 16 }
ReLU { }
Dropout { name: drop1 drop_prob: 0.5 }
Linear { name: fc2 out: 4 }
train { solver { lr: 0.1 } }
`;

async function bind(section: string) {
  const text = NET + section;
  const r = await compileText('t.nnspec', text, { keepNodes: true });
  const at = (code: string) => {
    const d = r.diagnostics.find((x) => x.code === code);
    return d ? text.slice(d.span.start, d.span.end) : undefined;
  };
  return { r, search: r.model.search ?? null, codes: r.diagnostics.map((d) => d.code), messages: r.diagnostics.map((d) => d.message), at };
}

const FULL = `search {
  method: grid
  trials: 12
  grid_points: 4
  metric: val_loss
  iterations: 50
  seed: 7
  lr { log: [1e-4, 0.1] }
  weight_decay { log: [1e-6, 1e-2] }
  momentum { uniform: [0.8, 0.99] }
  batch_size { choice: [16, 32, 64] }
  dropout { layer: drop1 uniform: [0.1, 0.6] }
}
`;

describe('the search section', () => {
  it('binds every parameter with its distribution, and the budget', async () => {
    const { search, codes } = await bind(FULL);
    expect(codes).toEqual([]);
    expect(search).toEqual({
      method: 'grid',
      trials: 12,
      grid_points: 4,
      max_minutes: null,
      metric: 'val_loss',
      epochs: null,
      iterations: 50,
      seed: 7,
      params: [
        { name: 'lr', layer: null, dist: { kind: 'log', min: 1e-4, max: 0.1 } },
        { name: 'weight_decay', layer: null, dist: { kind: 'log', min: 1e-6, max: 1e-2 } },
        { name: 'momentum', layer: null, dist: { kind: 'uniform', min: 0.8, max: 0.99 } },
        { name: 'batch_size', layer: null, dist: { kind: 'choice', values: [16, 32, 64] } },
        { name: 'dropout', layer: 'drop1', dist: { kind: 'uniform', min: 0.1, max: 0.6 } },
      ],
    });
  });

  it('leaves the model without a search when the file has none', async () => {
    expect((await bind('')).search).toBeNull();
  });

  it.each([
    ['lr { log: [0.1, 1e-4] }', 'nnspec/out-of-range', '[0.1, 1e-4]', /min < max/],
    ['lr { log: [0, 1] }', 'nnspec/out-of-range', '[0, 1]', /positive bounds/],
    ['momentum { uniform: [0.5, 1.5] }', 'nnspec/out-of-range', '[0.5, 1.5]', /momentum takes numbers in \[0, 1\)/],
    ['batch_size { choice: [16, 2.5] }', 'nnspec/out-of-range', '[16, 2.5]', /whole numbers/],
    ['lr { log: [1e-4, 1] uniform: [0.1, 1] }', 'nnspec/conflicting-fields', '[0.1, 1]', /one distribution/],
    ['lr { }', 'nnspec/missing-field', 'lr', /needs a distribution/],
    ['lr { range: [1e-4, 1] }', 'nnspec/unknown-field', 'range', /has no field 'range'/],
    ['dropout { layer: drop9 uniform: [0.1, 0.5] }', 'nnspec/unknown-layer', 'drop9', /no Dropout layer named 'drop9' \(it has drop1\)/],
    ['dropout { uniform: [0.1, 0.5] }', 'nnspec/missing-field', 'dropout', /needs the layer/],
    ['learning_rate { log: [1e-4, 1] }', 'nnspec/unknown-field', 'learning_rate', /has no field 'learning_rate'/],
    ['method: bayes lr { log: [1e-4, 1] }', 'nnspec/unknown-value', 'bayes', /'random', 'grid'/],
    ['metric: accuracy lr { log: [1e-4, 1] }', 'nnspec/unknown-value', 'accuracy', /val_top1/],
    ['epochs: 1 iterations: 5 lr { log: [1e-4, 1] }', 'nnspec/conflicting-fields', '5', /epochs or iterations/],
    ['trials: 0 lr { log: [1e-4, 1] }', 'nnspec/out-of-range', '0', /at least 1/],
  ])('reports %s', async (body, code, spanText, message) => {
    const { codes, messages, at, search } = await bind(`search { ${body} }\n`);
    expect(codes).toContain(code);
    expect(at(code)).toBe(spanText);
    expect(messages.join('\n')).toMatch(message);
    expect(search).toBeNull();
  });

  it('needs at least one parameter, and reports it at the section name', async () => {
    const { codes, at } = await bind('search { trials: 3 }\n');
    expect(codes).toEqual(['nnspec/empty']);
    expect(at('nnspec/empty')).toBe('search');
  });

  it('may be given once', async () => {
    const { codes } = await bind('search { lr { log: [1e-4, 1] } }\nsearch { lr { log: [1e-4, 1] } }\n');
    expect(codes).toEqual(['nnspec/duplicate-field']);
  });

  it('prints back, leaving defaults out, and the printed text binds to the same search', async () => {
    const prepared = await prepareBackendInput('t.nnspec', {}, NET + FULL);
    expect(prepared.diagnostics.items).toEqual([]);
    const printed = emitNnspec(prepared.input!)!;
    expect(printed).toContain('search {\n  method: grid\n  trials: 12\n');
    expect(printed).toContain('  dropout { layer: drop1 uniform: [0.1, 0.6] }\n');
    const again = await compileText('t.nnspec', printed, { keepNodes: true });
    expect(again.diagnostics).toEqual([]);
    expect(again.model.search).toEqual(prepared.input!.model.search);
    const minimal = await prepareBackendInput('t.nnspec', {}, `${NET}search { lr { log: [0.001, 1] } }\n`);
    expect(emitNnspec(minimal.input!)).toContain('search { lr { log: [0.001, 1] } }');
  });
});
