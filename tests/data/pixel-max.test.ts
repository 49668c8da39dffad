/** `pixel_max` on an input says what units the raw pixels are in; without it the convention is inferred from the statistics. */
import { describe, expect, it } from 'vitest';
import { compileText } from '../../src/compile.js';
import { emitNnspec } from '../../src/backends/nnspec/index.js';
import { prepareBackendInput } from '../../src/backends/backend.js';
import { dataOptionsFromModel } from '../../src/data/index.js';
import { inputEstimate } from '../../src/lint/rules/init/signal.js';

const spec = (fields: string) => `nnspec: 1\nname: t\ninput { name: x shape: [N, 3, 8, 8] ${fields} }\nConv { name: c out: 4 kernel: 3 }\n`;

async function modelOf(fields: string) {
  const r = await compileText('t.nnspec', spec(fields), { keepNodes: true });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.model;
}

describe('pixel_max', () => {
  it('sets the raw range the data is fed in, overriding the inference from the statistics', async () => {
    expect(dataOptionsFromModel(await modelOf('mean: [0.5, 0.5, 0.5] std: [0.25, 0.25, 0.25]')).inputMax).toBe(1);
    expect(dataOptionsFromModel(await modelOf('mean: [104, 117, 123]')).inputMax).toBe(255);
    expect(dataOptionsFromModel(await modelOf('mean: [0.5, 0.5, 0.5] pixel_max: 255')).inputMax).toBe(255);
    expect(dataOptionsFromModel(await modelOf('pixel_max: 1')).inputMax).toBe(1);
    expect(dataOptionsFromModel(await modelOf('mean: [120, 120, 120] pixel_max: 1')).inputMax).toBe(1);
  });

  it('is in the IR only when written, and the lint signal estimate follows it', async () => {
    const node = (m: Awaited<ReturnType<typeof modelOf>>) => m.graph!.nodes.find((n) => n.op === 'input')!;
    const without = node(await modelOf('mean: [0.5, 0.5, 0.5]')).attrs as { preprocess: Record<string, unknown> };
    expect('pixel_max' in without.preprocess).toBe(false);
    const withIt = node(await modelOf('mean: [0.5, 0.5, 0.5] pixel_max: 255')).attrs as { preprocess: { pixel_max: number } };
    expect(withIt.preprocess.pixel_max).toBe(255);
    expect(inputEstimate(withIt.preprocess as never, null).std).toBeCloseTo(0.226 * 255, 6);
    expect(inputEstimate(without.preprocess as never, null).std).toBeCloseTo(0.226, 6);
  });

  it('is printed back by the nnspec printer (same IR after a round trip)', async () => {
    const text = spec('mean: [0.5, 0.5, 0.5] pixel_max: 255');
    const { input } = await prepareBackendInput('t.nnspec', { keepNodes: true }, text);
    const printed = emitNnspec(input!)!;
    expect(printed).toMatch(/pixel_max: 255/);
    const again = await compileText('t.nnspec', printed, { keepNodes: true });
    const attrs = (m: typeof again.model) => JSON.stringify(m.graph!.nodes.find((n) => n.op === 'input')!.attrs);
    expect(attrs(again.model)).toBe(attrs((await compileText('t.nnspec', text, { keepNodes: true })).model));
  });

  it('must be positive', async () => {
    const r = await compileText('t.nnspec', spec('pixel_max: 0'), { keepNodes: true });
    expect(r.diagnostics.some((d) => d.severity === 'error' && /pixel_max/.test(d.message))).toBe(true);
  });
});
