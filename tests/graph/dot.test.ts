/**
 * DOT diagrams against reviewed goldens (golden/graph/), and the rules behind them checked
 * directly: one box per layer, in-place layers folded into the layer that wrote the blob,
 * edges labelled with the analysed shapes, block instances as clusters or as single boxes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, CORPUS_SKIP_REASON, HAS_CORPUS, ROOT } from '../helpers.js';
import { draw, FIXTURES } from './graph-helpers.js';

const golden = (name: string) => join(ROOT, 'golden/graph', name);

describe('DOT goldens', () => {
  const cases: [string, string, boolean][] = [
    ['lenet.dot', 'specs/lenet.nnspec', false],
    ['resnet18.dot', 'specs/resnet18.nnspec', false],
    ['resnet18.collapsed.dot', 'specs/resnet18.nnspec', true],
    ['torchvision-resnet18.collapsed.dot', 'specs/torchvision/resnet18.nnspec', true],
    ['googlenet.collapsed.dot', 'specs/googlenet.nnspec', true],
    ['inception.prototxt.dot', 'tests/graph/fixtures/inception.prototxt', false],
    ['inception.prototxt.collapsed.dot', 'tests/graph/fixtures/inception.prototxt', true],
  ];
  for (const [name, file, collapse] of cases) {
    it(`${file}${collapse ? ' --collapse' : ''}`, async () => {
      const { dot } = await draw(join(ROOT, file), { collapse });
      await expect(dot).toMatchFileSnapshot(golden(name));
    });
  }

  it.skipIf(!HAS_CORPUS)(`corpus: BVLC GoogLeNet (deploy) --collapse${HAS_CORPUS ? '' : ` (${CORPUS_SKIP_REASON})`}`, async () => {
    const { dot } = await draw(join(CORPUS, 'BVLC__caffe/bvlc_googlenet__deploy.prototxt'), { collapse: true });
    await expect(dot).toMatchFileSnapshot(golden('corpus-bvlc_googlenet__deploy.collapsed.dot'));
  });
});

describe('boxes and edges', () => {
  it('draws one box per layer of a chain, with an edge per blob labelled with its shape', async () => {
    const { input, diagram } = await draw(join(ROOT, 'specs/lenet.nnspec'));
    const nodes = input.model.graph.nodes;
    expect(diagram.boxes.map((b) => b.title)).toEqual(nodes.map((n) => n.name));
    expect(diagram.edges).toHaveLength(nodes.length - 1);
    for (const e of diagram.edges) {
      const producer = nodes[diagram.boxes.find((b) => b.id === e.from)!.layers[0]!]!;
      expect(e.shape).toBe(input.reports.get(producer)!.outputs[0]!.shape);
    }
    expect(diagram.boxes.find((b) => b.title === 'conv1')!.lines).toEqual(['conv 5×5, 20']);
    expect(diagram.boxes.find((b) => b.title === 'pool1')!.lines).toEqual(['maxpool 2×2/2']);
  });

  it('folds in-place layers into the layer that wrote the blob, in order', async () => {
    const { input, diagram } = await draw(join(FIXTURES, 'inception.prototxt'));
    const names = (layers: number[]) => layers.map((i) => input.model.graph.nodes[i]!.name);
    const stem = diagram.boxes.find((b) => b.title === 'stem')!;
    expect(names(stem.layers)).toEqual(['stem', 'stem/bn', 'stem/scale', 'stem/relu']);
    expect(stem.lines).toEqual(['conv 3×3/2, 192', '+ batchnorm', '+ scale + bias', '+ relu']);
    // Every layer is drawn exactly once.
    expect(diagram.boxes.flatMap((b) => b.layers).sort((a, b) => a - b)).toEqual(input.model.graph.nodes.map((_, i) => i));
  });

  it('does not fold an in-place layer into a blob something has already read', async () => {
    const { diagram } = await draw(join(FIXTURES, 'inception.prototxt'));
    const id = (title: string) => diagram.boxes.find((b) => b.title === title)!.id;
    expect(diagram.boxes.map((b) => b.title)).toContain('late/relu');
    // tap reads the concatenation before the ReLU, head after it.
    expect(diagram.edges.filter((e) => e.to === id('tap')).map((e) => e.from)).toEqual([id('inception_3a/output')]);
    expect(diagram.edges.filter((e) => e.to === id('head')).map((e) => e.from)).toEqual([id('late/relu')]);
  });

  it('draws a residual block with both paths into the addition', async () => {
    const { diagram } = await draw(join(ROOT, 'specs/resnet18.nnspec'));
    const id = (title: string) => diagram.boxes.find((b) => b.title === title)!.id;
    const into = (title: string) => diagram.edges.filter((e) => e.to === id(title)).map((e) => e.from);
    expect(into('stage1.0.add')).toEqual([id('stage1.0.bn2'), id('pool1')]);
    expect(into('stage2.0.add')).toEqual([id('stage2.0.bn2'), id('stage2.0.shortcut.1')]);
    const box = diagram.boxes.find((b) => b.title === 'stage2.0.shortcut.0')!;
    expect(box.scopes).toEqual(['stage2', 'stage2.0', 'stage2.0.shortcut']);
  });

  it('expanded: each scope holding two boxes or more is a cluster, nested as written', async () => {
    const { dot } = await draw(join(ROOT, 'specs/resnet18.nnspec'));
    const labels = [...dot.matchAll(/subgraph cluster_\d+ \{\n\s*label="([^"]*)"/g)].map((m) => m[1]);
    expect(labels).toEqual(['stage1', 'stage1.0', 'stage1.1', 'stage2', 'stage2.0', 'stage2.0.shortcut', 'stage2.1', 'stage3', 'stage3.0', 'stage3.0.shortcut', 'stage3.1', 'stage4', 'stage4.0', 'stage4.0.shortcut', 'stage4.1']);
  });

  it('collapsed: one box per top-level block instance, repeats counted apart, no edges inside', async () => {
    const { input, diagram } = await draw(join(ROOT, 'specs/resnet18.nnspec'), { collapse: true });
    const titles = diagram.boxes.map((b) => b.title);
    expect(titles).toEqual(['data', 'conv1', 'bn1', 'relu1', 'pool1', 'stage1.0', 'stage1.1', 'stage2.0', 'stage2.1', 'stage3.0', 'stage3.1', 'stage4.0', 'stage4.1', 'pool', 'fc']);
    const block = diagram.boxes.find((b) => b.title === 'stage2.0')!;
    expect(block.lines).toEqual(['BasicBlock, 9 layers']);
    expect(block.layers.map((i) => input.model.graph.nodes[i]!.name).every((n) => n.startsWith('stage2.0.'))).toBe(true);
    expect(diagram.edges.every((e) => e.from !== e.to)).toBe(true);
    // Each instance is entered once and left once: a chain of 15 boxes.
    expect(diagram.edges).toHaveLength(titles.length - 1);
  });

  it('collapsed Caffe: name scopes (`inception_3a/…`) become one box', async () => {
    const { diagram } = await draw(join(FIXTURES, 'inception.prototxt'), { collapse: true });
    expect(diagram.boxes.map((b) => [b.title, b.lines.join(' ')])).toEqual([
      ['input', 'input: data'],
      ['stem', 'conv 3×3/2, 192 + batchnorm + scale + bias + relu'],
      ['inception_3a', '14 layers'],
      ['tap', 'global avgpool'],
      ['late/relu', 'relu'],
      ['head', 'linear 10'],
    ]);
  });

  it('is deterministic', async () => {
    const a = await draw(join(ROOT, 'specs/googlenet.nnspec'));
    const b = await draw(join(ROOT, 'specs/googlenet.nnspec'));
    expect(a.dot).toBe(b.dot);
  });
});
