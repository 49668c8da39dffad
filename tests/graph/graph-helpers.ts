/** Shared by the diagram tests: compile a file (or text) and draw it in-process. */
import { join } from 'node:path';
import { prepareBackendInput, type BackendInput } from '../../src/backends/backend.js';
import { buildDiagram, type Diagram } from '../../src/backends/graph/diagram.js';
import { writeDot } from '../../src/backends/graph/dot.js';
import { ROOT } from '../helpers.js';

export const FIXTURES = join(ROOT, 'tests/graph/fixtures');

export async function prepare(path: string, text?: string): Promise<BackendInput> {
  const { input, diagnostics } = await prepareBackendInput(path, {}, text);
  if (!input) throw new Error(`${path} does not compile:\n${diagnostics.items.map((d) => `${d.code}: ${d.message}`).join('\n')}`);
  return input;
}

export async function draw(path: string, options: { collapse?: boolean } = {}, text?: string): Promise<{ input: BackendInput; diagram: Diagram; dot: string }> {
  const input = await prepare(path, text);
  const diagram = buildDiagram(input, options);
  return { input, diagram, dot: writeDot(diagram) };
}

/** The text Graphviz drew, per SVG element (`<text>` contents with XML entities decoded). */
export function svgTexts(fragment: string): string[] {
  return [...fragment.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => decodeXml(m[1]!));
}

export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (_m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[e.toLowerCase()]!;
  });
}

/** Each SVG node group's id and its texts, in document order. */
export function svgNodes(svg: string): { id: string; texts: string[] }[] {
  return [...svg.matchAll(/<g id="([^"]*)" class="node">([\s\S]*?)<\/g>/g)].map((m) => ({ id: m[1]!, texts: svgTexts(m[2]!) }));
}
