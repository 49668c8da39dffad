import { Option } from 'commander';
import type { CompileOptions } from '../compile.js';
import type { Shape } from '../ir/dims.js';
import { UsageError } from './exit-codes.js';

export const phaseOption = () =>
  new Option('--phase <phase>', "Caffe: the phase whose layers are kept ('train' or 'test'; Caffe's default is test)").choices(['train', 'test', 'TRAIN', 'TEST']);
export const stageOption = () => new Option('--stage <stage...>', 'Caffe: NetState stages for include/exclude rules');
export const levelOption = () => new Option('--level <n>', 'Caffe: NetState level').argParser((v) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`--level expects an integer, got '${v}'`);
  return n;
});
export const colorOption = () => new Option('--color', 'force coloured output');
export const noColorOption = () => new Option('--no-color', 'disable coloured output');

export const inputShapeOption = () =>
  new Option('--input-shape <name=dims>', "replace an input's declared shape, e.g. data=1,3,224,224 (N for a symbolic batch size); repeatable").argParser(
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );

export interface NetFlags {
  phase?: string;
  stage?: string[];
  level?: number;
  inputShape?: string[];
}

/** `name=1,3,224,224` (a dimension may be a symbol such as N) → [name, shape]; null when malformed. */
export function parseInputShape(text: string): [string, Shape] | null {
  const eq = text.lastIndexOf('=');
  if (eq <= 0) return null;
  const shape: Shape = [];
  for (const raw of text.slice(eq + 1).split(/[,x×]/)) {
    const d = raw.trim();
    if (/^\d+$/.test(d)) shape.push(Number(d));
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(d)) shape.push(d);
    else return null;
  }
  return [text.slice(0, eq), shape];
}

export function compileOptions(flags: NetFlags): CompileOptions {
  const out: CompileOptions = {};
  if (flags.phase) out.phase = flags.phase.toUpperCase() as 'TRAIN' | 'TEST';
  if (flags.stage) out.stages = flags.stage;
  if (flags.level !== undefined) out.level = flags.level;
  if (flags.inputShape) {
    const shapes = new Map<string, Shape>();
    for (const spec of flags.inputShape) {
      const parsed = parseInputShape(spec);
      if (!parsed) throw new UsageError(`--input-shape expects NAME=D1,D2,… (integers, or a symbol such as N), got '${spec}'`);
      shapes.set(parsed[0], parsed[1]);
    }
    out.inputShapes = shapes;
  }
  return out;
}

export function useColor(flags: { color?: boolean }, stream: NodeJS.WriteStream): boolean {
  if (flags.color === false) return false;
  if (process.argv.includes('--color') || process.env.FORCE_COLOR) return true;
  if (process.env.NO_COLOR !== undefined) return false;
  return Boolean(stream.isTTY);
}
