/**
 * Training checkpoints: `DIR/checkpoint/` holds the parameters, the optimizer's slots, the best
 * validation point's parameters (each a safetensors file named by the checkpoint's generation)
 * and `state.json`, which names them and holds the loop's position, history and settings.
 * state.json is written last and atomically, and the files of older generations are removed
 * only after it: a crash while a checkpoint is written leaves the previous one whole.
 *
 * Tensors are stored in the IR's layout under their index; state.json lists node, blob and
 * shape for each, so that a checkpoint of another net is recognised before anything is loaded.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../weights/index.js';
import type { IrWeights } from '../weights/ir-weights.js';
import type { LoopState } from './loop.js';
import type { OptimizerState } from './optimizer.js';

export const CHECKPOINT_DIR = 'checkpoint';
const FORMAT = 'nnspec-train-checkpoint';
const VERSION = 1;

/** What a resumed run must reuse to continue exactly (the length may be extended). */
export interface RunSettings {
  spec: string;
  data: string;
  seed: number;
  batchSize: number;
  iterSize: number;
  valSplit: number;
  totalIters: number;
  solver: string;
}

export interface Checkpoint {
  settings: RunSettings;
  state: LoopState;
  /** Seeded random draws (dropout masks) made so far. */
  draws: number;
  weights: IrWeights;
  optimizer: OptimizerState;
  bestWeights: IrWeights | null;
}

interface BlobEntry {
  node: string;
  name: string;
  shape: number[];
}

interface Manifest {
  format: typeof FORMAT;
  version: number;
  generation: number;
  settings: RunSettings;
  state: LoopState;
  draws: number;
  params: BlobEntry[];
  optimizer: { steps: number; slots: { node: string; name: string; b: boolean }[] };
  files: { weights: string; optimizer: string; best: string | null };
}

/** A checkpoint that cannot be read or does not fit; the message is for the user. */
export class CheckpointError extends Error {}

function weightEntries(weights: IrWeights): { entries: BlobEntry[]; tensors: NamedTensor[] } {
  const entries: BlobEntry[] = [];
  const tensors: NamedTensor[] = [];
  for (const [node, blobs] of weights) {
    for (const [name, w] of blobs) {
      tensors.push({ key: String(entries.length), shape: [...w.shape], data: w.data });
      entries.push({ node, name, shape: [...w.shape] });
    }
  }
  return { entries, tensors };
}

function readManifest(folder: string): Manifest | null {
  const path = join(folder, 'state.json');
  if (!existsSync(path)) return null;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new CheckpointError(`${path} is not a readable checkpoint (${(e as Error).message})`);
  }
  if (m.format !== FORMAT) throw new CheckpointError(`${path} is not an nnspec training checkpoint`);
  if (m.version !== VERSION) throw new CheckpointError(`${path} is a checkpoint of version ${m.version}; this nnspec reads version ${VERSION}`);
  return m;
}

export interface CheckpointContent {
  settings: RunSettings;
  state: LoopState;
  draws: number;
  weights: IrWeights;
  optimizer: OptimizerState;
  /** The best validation point's parameters; null when there is none yet. */
  best: { weights: IrWeights; iteration: number } | null;
}

/** Writes a checkpoint into `outDir/checkpoint/`, replacing the previous one only once it is complete. */
export function writeCheckpoint(outDir: string, c: CheckpointContent): void {
  const folder = join(outDir, CHECKPOINT_DIR);
  mkdirSync(folder, { recursive: true });
  const previous = readManifestQuietly(folder);
  const generation = (previous?.generation ?? 0) + 1;
  const { entries, tensors } = weightEntries(c.weights);
  const files: Manifest['files'] = { weights: `weights-${generation}.safetensors`, optimizer: `optimizer-${generation}.safetensors`, best: null };
  writeFileAtomic(join(folder, files.weights), writeSafetensors(tensors));
  const slots: NamedTensor[] = [];
  c.optimizer.slots.forEach((s, i) => {
    slots.push({ key: `${i}.a`, shape: [s.a.length], data: s.a });
    if (s.b) slots.push({ key: `${i}.b`, shape: [s.b.length], data: s.b });
  });
  writeFileAtomic(join(folder, files.optimizer), writeSafetensors(slots));
  if (c.best) {
    // The best parameters change only at a better validation point: an unchanged one keeps its file.
    const same = previous?.files.best && previous.state.best?.iteration === c.best.iteration && existsSync(join(folder, previous.files.best));
    if (same) files.best = previous!.files.best;
    else {
      files.best = `best-${generation}.safetensors`;
      writeFileAtomic(join(folder, files.best), writeSafetensors(weightEntries(c.best.weights).tensors));
    }
  }
  const manifest: Manifest = {
    format: FORMAT,
    version: VERSION,
    generation,
    settings: c.settings,
    state: c.state,
    draws: c.draws,
    params: entries,
    optimizer: { steps: c.optimizer.steps, slots: c.optimizer.slots.map((s) => ({ node: s.node, name: s.name, b: s.b !== null })) },
    files,
  };
  writeFileAtomic(join(folder, 'state.json'), `${JSON.stringify(manifest, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}\n`);
  const keep = new Set(['state.json', files.weights, files.optimizer, ...(files.best ? [files.best] : [])]);
  for (const f of readdirSync(folder)) if (!keep.has(f) && /\.safetensors$/.test(f)) rmSync(join(folder, f), { force: true });
}

function readManifestQuietly(folder: string): Manifest | null {
  try {
    return readManifest(folder);
  } catch {
    return null;
  }
}

function tensorsOf(folder: string, file: string): Map<string, Float32Array> {
  const path = join(folder, file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CheckpointError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing (the checkpoint is incomplete)' : (e as Error).message}`);
  }
  const read = readSafetensors(bytes);
  if ('error' in read) throw new CheckpointError(`${path}: ${read.error}`);
  return new Map(read.file.tensors.map((t) => [t.key, t.data]));
}

function irWeights(entries: readonly BlobEntry[], tensors: Map<string, Float32Array>, path: string): IrWeights {
  const out: IrWeights = new Map();
  entries.forEach((e, i) => {
    const data = tensors.get(String(i));
    if (!data) throw new CheckpointError(`${path} lacks '${e.node}' ${e.name}`);
    if (!out.has(e.node)) out.set(e.node, new Map());
    out.get(e.node)!.set(e.name, { shape: e.shape, data });
  });
  return out;
}

/** Reads `dir/checkpoint/` (or `dir` itself when it is the checkpoint folder). */
export function readCheckpoint(dir: string): Checkpoint {
  const folder = existsSync(join(dir, 'state.json')) ? dir : join(dir, CHECKPOINT_DIR);
  if (!existsSync(dir)) throw new CheckpointError(`${dir}: no such folder`);
  const m = readManifest(folder);
  if (!m) throw new CheckpointError(`${dir} holds no training checkpoint (no ${join(CHECKPOINT_DIR, 'state.json')}); it is written by nnspec train --out`);
  const weights = irWeights(m.params, tensorsOf(folder, m.files.weights), join(folder, m.files.weights));
  const slotData = tensorsOf(folder, m.files.optimizer);
  const optimizer: OptimizerState = {
    steps: m.optimizer.steps,
    slots: m.optimizer.slots.map((s, i) => {
      const a = slotData.get(`${i}.a`);
      const b = s.b ? slotData.get(`${i}.b`) : null;
      if (!a || b === undefined) throw new CheckpointError(`${join(folder, m.files.optimizer)} lacks the slots of '${s.node}' ${s.name}`);
      return { node: s.node, name: s.name, a, b };
    }),
  };
  const bestWeights = m.files.best ? irWeights(m.params, tensorsOf(folder, m.files.best), join(folder, m.files.best)) : null;
  return { settings: m.settings, state: m.state, draws: m.draws, weights, optimizer, bestWeights };
}

/** Why `checkpoint` does not fit the net whose current parameters are `current`, or null. */
export function checkpointMismatch(checkpoint: Checkpoint, current: IrWeights): string | null {
  const describe = (w: IrWeights) => new Map([...w].flatMap(([node, blobs]) => [...blobs].map(([name, b]) => [`'${node}' ${name}`, b.shape.join('×')] as const)));
  const have = describe(checkpoint.weights);
  const want = describe(current);
  const missing = [...want.keys()].filter((k) => !have.has(k));
  const extra = [...have.keys()].filter((k) => !want.has(k));
  const reshaped = [...want].filter(([k, s]) => have.has(k) && have.get(k) !== s).map(([k, s]) => `${k} is ${have.get(k)} there, ${s} here`);
  const problems = [
    ...(missing.length ? [`it lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`] : []),
    ...(extra.length ? [`it has ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ` and ${extra.length - 3} more` : ''}, which this net does not`] : []),
    ...reshaped.slice(0, 3),
  ];
  return problems.length ? `the checkpoint was written for another net: ${problems.join('; ')}` : null;
}
