/**
 * What the spec itself says that explains a failed step: the layer that produces the class
 * scores, how it is initialised, frozen parameters, a learning rate of 0, narrow layers and
 * heavy dropout. Read from the IR only, so the advice names the user's own layers.
 */
import type { BackendInput } from '../../backends/backend.js';
import type { Filler } from '../../ir/filler.js';
import type { Node } from '../../ir/graph.js';
import type { TrainConfig } from '../../ir/train.js';

/** The blob the loss reads (the class scores), as training wires it. */
export async function logitsBlob(input: BackendInput): Promise<string | null> {
  const { modelInterface } = await import('../../backends/tfjs/index.js');
  const { wire } = await import('../../train/loop.js');
  const w = wire(input, modelInterface(input.model.graph.nodes));
  return typeof w === 'string' ? null : w.logits;
}

/** The last layer with a trained weight on the way to `blob` (through activations, reshapes, dropout…). */
export function lastLearnedLayer(input: BackendInput, blob: string): Node | null {
  const nodes = input.model.graph.nodes;
  const seen = new Set<string>();
  let frontier = [blob];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const b of frontier) {
      if (seen.has(b)) continue;
      seen.add(b);
      const producer = [...nodes].reverse().find((n) => n.outputs.includes(b));
      if (!producer) continue;
      if (producer.params.some((p) => p.name === 'weight')) return producer;
      next.push(...producer.inputs);
    }
    frontier = next;
  }
  return null;
}

export function describeFiller(f: Filler): string {
  switch (f.type) {
    case 'constant':
      return `constant ${f.value}`;
    case 'uniform':
      return `uniform [${f.min}, ${f.max}]`;
    case 'normal':
      return `gaussian std ${f.std}${f.mean ? ` mean ${f.mean}` : ''}`;
    case 'variance_scaling':
      return `variance scaling (${f.distribution}, ${f.mode}, scale ${f.scale})`;
    default:
      return f.type;
  }
}

export interface TrainabilityFacts {
  /** Weights (and biases) the optimiser updates at a non-zero rate. */
  learned: number;
  /** Those with lr_mult 0 or not trainable (running statistics excluded). */
  frozen: string[];
}

export function trainability(input: BackendInput): TrainabilityFacts {
  let learned = 0;
  const frozen: string[] = [];
  for (const node of input.model.graph.nodes) {
    for (const p of node.params) {
      if (p.name.startsWith('running_') || p.name === 'scale_factor') continue;
      if (!p.trainable || p.lr_mult === 0) frozen.push(`${node.name}.${p.name}`);
      else learned++;
    }
  }
  return { learned, frozen };
}

/** Likely reasons a net cannot fit 50 examples, from the spec alone, most likely first. */
export function overfitCauses(input: BackendInput, config: TrainConfig, numClasses: number, lr: number): string[] {
  const causes: string[] = [];
  if (lr === 0) causes.push('the learning rate is 0 (solver lr): the weights never change');
  const t = trainability(input);
  if (t.learned === 0) causes.push(`every parameter is frozen (lr_mult 0): ${t.frozen.slice(0, 6).join(', ')}${t.frozen.length > 6 ? ', …' : ''}`);
  else if (t.frozen.length > 0) causes.push(`frozen parameters (lr_mult 0) the net may need: ${t.frozen.slice(0, 6).join(', ')}${t.frozen.length > 6 ? ', …' : ''}`);
  if (lr > 0 && lr < 1e-5) causes.push(`the learning rate ${lr} is tiny: the loss barely moves in a few hundred updates`);
  for (const node of input.model.graph.nodes) {
    const width = outWidth(node);
    if (width !== null && width < numClasses && !isLast(input, node)) causes.push(`a bottleneck: '${node.name}' has ${width} output${width === 1 ? '' : 's'}, fewer than the ${numClasses} classes`);
    if (node.op === 'dropout') {
      const p = (node.attrs as { drop_prob: number }).drop_prob;
      if (p >= 0.7) causes.push(`heavy dropout: '${node.name}' drops ${Math.round(100 * p)}% of its inputs`);
    }
  }
  if (config.gradient_clip !== null && config.gradient_clip < 1e-3) causes.push(`gradient_clip ${config.gradient_clip} keeps every update tiny`);
  causes.push('the labels: check that they match the inputs (a shuffled or off-by-one label file cannot be fitted)');
  causes.push('the input scaling: inputs far from unit scale (e.g. 0–255 without a scale) slow or stall learning');
  return causes;
}

function outWidth(node: Node): number | null {
  if (node.op !== 'linear' && node.op !== 'conv') return null;
  const n = (node.attrs as { num_output?: number }).num_output;
  return typeof n === 'number' ? n : null;
}

function isLast(input: BackendInput, node: Node): boolean {
  const nodes = input.model.graph.nodes;
  const later = nodes.slice(nodes.indexOf(node) + 1);
  return !later.some((n) => n.params.some((p) => p.name === 'weight'));
}
