/**
 * Every shipped spec and every net of the shared corpus draws: each layer in exactly one box,
 * edges only between boxes that exist, one edge into a box per blob it reads from outside,
 * and (for the shipped specs) DOT that Graphviz lays out without complaint.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareBackendInput } from '../../src/backends/backend.js';
import { buildDiagram } from '../../src/backends/graph/diagram.js';
import { writeDot } from '../../src/backends/graph/dot.js';
import { renderSvg } from '../../src/backends/graph/svg.js';
import { CORPUS, CORPUS_SKIP_REASON, corpusFiles, HAS_CORPUS, ROOT, specFiles } from '../helpers.js';
import { svgNodes } from './graph-helpers.js';

async function check(path: string, render: boolean): Promise<void> {
  const { input } = await prepareBackendInput(path);
  if (!input) return; // solvers, and nets with errors (the CLI tests cover what is reported)
  const nodes = input.model.graph.nodes;
  for (const collapse of [false, true]) {
    const diagram = buildDiagram(input, { collapse });
    const drawn = diagram.boxes.flatMap((b) => b.layers).sort((a, b) => a - b);
    expect(drawn, `${path}: every layer once`).toEqual(nodes.map((_, i) => i));
    const ids = new Set(diagram.boxes.map((b) => b.id));
    for (const e of diagram.edges) {
      expect(ids.has(e.from) && ids.has(e.to), `${path}: edge ${e.from} -> ${e.to}`).toBe(true);
      expect(e.from).not.toBe(e.to);
    }
    if (render) {
      const svg = await renderSvg(writeDot(diagram));
      expect(svgNodes(svg), path).toHaveLength(diagram.boxes.length);
    }
  }
}

describe('shipped specs', () => {
  for (const rel of specFiles()) it(rel, () => check(join(ROOT, rel), true));
});

describe.skipIf(!HAS_CORPUS)(`the shared Caffe corpus${HAS_CORPUS ? '' : ` (${CORPUS_SKIP_REASON})`}`, () => {
  it('draws every net', async () => {
    const files = corpusFiles();
    expect(files.length).toBeGreaterThan(0);
    for (const rel of files) await check(join(CORPUS, rel), false);
  });
});
