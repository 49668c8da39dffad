/**
 * Evaluation of nnspec values: `$name` block arguments and arithmetic (`$planes * 4`) reduce
 * to literals before any field is read, so every reader sees plain numbers, names and strings
 * (keeping the span of the expression, for diagnostics).
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { didYouMean } from '../../diagnostics/did-you-mean.js';
import type { ListValue, Message, Value } from '../../language/syntax-tree.js';

/** Block arguments in scope: evaluated values, innermost block first. */
export interface Env {
  readonly values: ReadonlyMap<string, Value>;
  /** The block whose arguments these are, for messages. */
  readonly block: string | null;
}

export const EMPTY_ENV: Env = { values: new Map(), block: null };

function literal(value: number, at: Value): Value {
  return { kind: 'number', value, integer: Number.isInteger(value), start: at.start, end: at.end };
}

/**
 * Evaluates `v` in `env`. Messages and lists are evaluated element by element; an error
 * yields a `missing` value (already reported) so readers stay quiet about it.
 */
export function evaluate(v: Value, env: Env, diagnostics: DiagnosticBag): Value {
  switch (v.kind) {
    case 'ref': {
      const found = env.values.get(v.name);
      if (found) return { ...found, start: v.start, end: v.end } as Value;
      const where = env.block ? `block '${env.block}' has no argument` : 'there is no block argument';
      diagnostics.error('nnspec/unknown-argument', `${where} '$${v.name}'`, v, {
        hint: env.block ? didYouMean(v.name, env.values.keys()) : 'references work inside a block definition',
      });
      return { kind: 'missing', start: v.start, end: v.end };
    }
    case 'negate': {
      const x = evaluate(v.operand, env, diagnostics);
      if (x.kind === 'missing') return x;
      if (x.kind !== 'number') {
        diagnostics.error('nnspec/not-a-number', 'only numbers can be negated', v);
        return { kind: 'missing', start: v.start, end: v.end };
      }
      return literal(-x.value, v);
    }
    case 'binary': {
      const a = evaluate(v.left, env, diagnostics);
      const b = evaluate(v.right, env, diagnostics);
      if (a.kind === 'missing' || b.kind === 'missing') return { kind: 'missing', start: v.start, end: v.end };
      if (a.kind !== 'number' || b.kind !== 'number') {
        diagnostics.error('nnspec/not-a-number', `'${v.op}' needs numbers on both sides`, a.kind !== 'number' ? a : b);
        return { kind: 'missing', start: v.start, end: v.end };
      }
      if (v.op === '/' && b.value === 0) {
        diagnostics.error('nnspec/division-by-zero', 'division by zero', v.right);
        return { kind: 'missing', start: v.start, end: v.end };
      }
      const value = v.op === '+' ? a.value + b.value : v.op === '-' ? a.value - b.value : v.op === '*' ? a.value * b.value : a.value / b.value;
      const out = literal(value, v);
      // 1.5 * 2 is 3 but was written with a fraction: keep it a float unless both sides were integers.
      if (out.kind === 'number' && v.op !== '/') out.integer = a.integer && b.integer && Number.isInteger(value);
      return out;
    }
    case 'list': {
      const items = v.items.map((i) => evaluate(i, env, diagnostics));
      const list: ListValue = { kind: 'list', items, start: v.start, end: v.end };
      return list;
    }
    case 'message': {
      const m: Message = { ...v, fields: v.fields.map((f) => ({ ...f, value: evaluate(f.value, env, diagnostics) })) };
      return m;
    }
    default:
      return v;
  }
}
