/** `nnspec graph FILE`: the network drawn as DOT, SVG (Graphviz in WebAssembly) or an HTML page. */
import { buildDiagram } from '../backends/graph/diagram.js';
import { writeDot } from '../backends/graph/dot.js';
import { prepareBackendInput } from '../backends/backend.js';
import { formatStylish } from '../diagnostics/format.js';
import { deliver } from './output.js';
import { isFsError } from './check.js';
import { EXIT_PROBLEMS, EXIT_USAGE } from './exit-codes.js';
import { describeFsError } from './inputs.js';
import { compileOptions, useColor, type NetFlags } from './options.js';

export interface GraphFlags extends NetFlags {
  format: 'dot' | 'svg' | 'html';
  output?: string;
  collapse?: boolean;
  color?: boolean;
}

export async function runGraph(path: string, flags: GraphFlags): Promise<number> {
  const options = compileOptions(flags);
  let prepared;
  try {
    prepared = await prepareBackendInput(path, options);
  } catch (e) {
    if (!isFsError(e)) throw e;
    process.stderr.write(`nnspec: cannot read '${path}': ${describeFsError(e)}\n`);
    return EXIT_USAGE;
  }
  const { input, diagnostics } = prepared;
  if (diagnostics.items.length > 0) process.stderr.write(`${formatStylish(diagnostics.items, { color: useColor(flags, process.stderr) })}\n`);
  if (!input) {
    if (diagnostics.items.some((d) => d.severity === 'error')) return EXIT_PROBLEMS;
    process.stderr.write(`nnspec: '${path}' describes no network to draw\n`);
    return EXIT_USAGE;
  }
  const diagram = buildDiagram(input, { collapse: flags.collapse });
  const dot = writeDot(diagram);
  let text = dot;
  if (flags.format !== 'dot') {
    const { renderSvg } = await import('../backends/graph/svg.js');
    const svg = await renderSvg(dot);
    if (flags.format === 'svg') text = svg;
    else {
      const { writeHtml } = await import('../backends/graph/html.js');
      text = writeHtml(input, diagram, svg);
    }
  }
  return deliver(text, flags.output);
}
