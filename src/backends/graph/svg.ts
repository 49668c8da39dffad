/**
 * DOT → SVG offline, with Graphviz compiled to WebAssembly. The module (about 1.5 MB) is
 * loaded only here, when a drawing is asked for, never by the other commands; its instance is
 * made once per process (compiling the WebAssembly is most of the cost of a small drawing).
 */
import type { Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

export async function renderSvg(dot: string): Promise<string> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  const result = (await viz).render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    const errors = result.errors.filter((e) => e.level !== 'warning').map((e) => e.message.trim());
    throw new Error(`Graphviz could not lay out the diagram: ${errors.join('; ') || 'unknown error'}`);
  }
  return result.output;
}
