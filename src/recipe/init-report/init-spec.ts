/**
 * The `--init` list: which weight initialisations to compare. Each names an IR filler, with the
 * Caffe meaning of the Caffe names (`xavier` is Caffe's fan_in Xavier, U(±sqrt(3/fan_in)); `kaiming`
 * and `msra` are N(0, sqrt(2/fan_in))), so that the report shows what lowering will really draw.
 */
import { TORCH_DEFAULT_WEIGHT, varianceScaling, type Filler } from '../../ir/filler.js';

export interface InitChoice {
  /** As the user wrote it (the column and JSON label). */
  label: string;
  /** null: the fillers the spec itself declares. */
  filler: Filler | null;
}

const NAMED: Record<string, Filler | null> = {
  spec: null,
  xavier: varianceScaling('uniform', 'fan_in', 1),
  glorot: varianceScaling('uniform', 'fan_avg', 1),
  lecun: varianceScaling('normal', 'fan_in', 1),
  kaiming: varianceScaling('normal', 'fan_in', 2),
  msra: varianceScaling('normal', 'fan_in', 2),
  he: varianceScaling('normal', 'fan_in', 2),
  kaiming_uniform: varianceScaling('uniform', 'fan_in', 2),
  orthogonal: { type: 'orthogonal', gain: 1 },
  torch_default: TORCH_DEFAULT_WEIGHT,
};

export const INIT_HELP = `${Object.keys(NAMED).join(', ')}, gaussian:STD, uniform:A (U(-A, A)) or uniform:MIN:MAX`;

/** Thrown for a value the user must correct; the message is one line. */
export class InitSpecError extends Error {}

function nonNegative(text: string | undefined, what: string, item: string): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InitSpecError(`--init: '${item}' needs ${what} (a number ≥ 0), e.g. ${item.split(':')[0]}:0.01`);
  }
  return n;
}

function finite(text: string | undefined, item: string): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(n)) throw new InitSpecError(`--init: '${item}' has a bound that is not a number`);
  return n;
}

function parseOne(item: string): InitChoice {
  const [kind, ...args] = item.split(':');
  const name = kind!.toLowerCase();
  if (name === 'gaussian' || name === 'normal') {
    if (args.length !== 1) throw new InitSpecError(`--init: '${item}' needs one standard deviation, e.g. gaussian:0.01`);
    return { label: item, filler: { type: 'normal', mean: 0, std: nonNegative(args[0], 'a standard deviation', item), sparse: -1 } };
  }
  if (name === 'uniform') {
    if (args.length === 1) {
      const a = nonNegative(args[0], 'a half-width', item);
      return { label: item, filler: { type: 'uniform', min: -a, max: a } };
    }
    if (args.length === 2) {
      const min = finite(args[0], item);
      const max = finite(args[1], item);
      if (min > max) throw new InitSpecError(`--init: '${item}' needs MIN ≤ MAX`);
      return { label: item, filler: { type: 'uniform', min, max } };
    }
    throw new InitSpecError(`--init: '${item}' needs uniform:A or uniform:MIN:MAX`);
  }
  if (Object.prototype.hasOwnProperty.call(NAMED, name)) {
    if (args.length > 0) throw new InitSpecError(`--init: '${name}' takes no argument, got '${item}'`);
    return { label: item, filler: NAMED[name]! };
  }
  throw new InitSpecError(`--init: unknown initialiser '${item}' (expected ${INIT_HELP})`);
}

/** `xavier,kaiming,gaussian:0.01` → the choices, in order; undefined → the spec's own fillers. */
export function parseInitList(text: string | undefined): InitChoice[] {
  if (text === undefined) return [{ label: 'spec', filler: null }];
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InitSpecError(`--init expects a comma-separated list of initialisers (${INIT_HELP}), got '${text}'`);
  const out = items.map(parseOne);
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c.label)) throw new InitSpecError(`--init lists '${c.label}' twice`);
    seen.add(c.label);
  }
  return out;
}
