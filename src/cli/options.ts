import { Option } from 'commander';
import type { CompileOptions } from '../compile.js';

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

export interface NetFlags {
  phase?: string;
  stage?: string[];
  level?: number;
}

export function compileOptions(flags: NetFlags): CompileOptions {
  const out: CompileOptions = {};
  if (flags.phase) out.phase = flags.phase.toUpperCase() as 'TRAIN' | 'TEST';
  if (flags.stage) out.stages = flags.stage;
  if (flags.level !== undefined) out.level = flags.level;
  return out;
}

export function useColor(flags: { color?: boolean }, stream: NodeJS.WriteStream): boolean {
  if (flags.color === false) return false;
  if (process.argv.includes('--color') || process.env.FORCE_COLOR) return true;
  if (process.env.NO_COLOR !== undefined) return false;
  return Boolean(stream.isTTY);
}
