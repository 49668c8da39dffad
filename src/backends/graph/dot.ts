/**
 * The diagram as Graphviz DOT. Every name is arbitrary text (Caffe layer names may hold
 * quotes, backslashes, newlines, `<`), so each goes through `quote`; ids are generated
 * (`n0`, `cluster_0`) and never come from the net. The output depends only on the net.
 */
import type { OpCategory } from '../../ir/op.js';
import type { Backend, BackendInput } from '../backend.js';
import { buildDiagram, shapeText, type Box, type Diagram, type DiagramOptions } from './diagram.js';

/** Pastel fills by kind of layer, so that the structure shows at a glance. */
const FILL: Record<OpCategory | 'block', string> = {
  data: '#e8e8e8',
  convolution: '#cfe2f3',
  pooling: '#d9ead3',
  dense: '#fce5cd',
  normalization: '#fff2cc',
  activation: '#f4cccc',
  regularization: '#eeeeee',
  tensor: '#d9d2e9',
  loss: '#ead1dc',
  other: '#ffffff',
  block: '#d0e0e3',
};

/** Control characters are shown as escapes, not obeyed: a name cannot add lines to a label. */
function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/**
 * A DOT quoted string showing `lines` literally: backslashes are doubled (Graphviz would read
 * `\N`, `\G`, `\l` in a label as escapes), quotes escaped, lines joined by DOT's `\n`.
 */
export function quote(...lines: string[]): string {
  return `"${lines.map((l) => visible(l).replace(/[\\"]/g, '\\$&')).join('\\n')}"`;
}

interface Cluster {
  scope: string;
  boxes: Box[];
  children: Cluster[];
}

/** Scopes holding two boxes or more become clusters, nested as the scopes are. */
function clusterTree(boxes: Box[]): Cluster {
  const size = new Map<string, number>();
  for (const b of boxes) for (const s of b.scopes) size.set(s, (size.get(s) ?? 0) + 1);
  const root: Cluster = { scope: '', boxes: [], children: [] };
  const byScope = new Map<string, Cluster>();
  for (const box of boxes) {
    let parent = root;
    for (const scope of box.scopes) {
      if (size.get(scope)! < 2) continue;
      let c = byScope.get(scope);
      if (!c) {
        c = { scope, boxes: [], children: [] };
        byScope.set(scope, c);
        parent.children.push(c);
      }
      parent = c;
    }
    parent.boxes.push(box);
  }
  return root;
}

export function writeDot(diagram: Diagram): string {
  const out: string[] = [];
  // DOT keeps backslashes in ids as written (only labels are unescaped), so a name could
  // not round-trip as the graph id: it is the graph's label instead.
  out.push('digraph net {');
  out.push('  rankdir=TB;');
  if (diagram.name) out.push(`  label=${quote(diagram.name)}; labelloc=t;`);
  out.push('  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, penwidth=1];');
  out.push('  edge [fontname="Helvetica", fontsize=9, color="#555555"];');
  out.push('  graph [fontname="Helvetica", fontsize=11, labeljust=l, style="rounded,dashed", color="#888888"];');
  let clusters = 0;
  const write = (c: Cluster, indent: string) => {
    for (const child of c.children) {
      out.push(`${indent}subgraph cluster_${clusters++} {`);
      out.push(`${indent}  label=${quote(child.scope)};`);
      write(child, `${indent}  `);
      out.push(`${indent}}`);
    }
    for (const b of c.boxes) {
      out.push(`${indent}${b.id} [id=${b.id}, label=${quote(b.title, ...b.lines)}, fillcolor="${FILL[b.category]}"];`);
    }
  };
  write(clusterTree(diagram.boxes), '  ');
  for (const e of diagram.edges) out.push(`  ${e.from} -> ${e.to} [label=${quote(shapeText(e.shape))}];`);
  out.push('}');
  return `${out.join('\n')}\n`;
}

export function dotBackend(options: DiagramOptions = {}): Backend {
  return (input: BackendInput) => writeDot(buildDiagram(input, options));
}
