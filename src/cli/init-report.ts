/**
 * `nnspec init-report SPEC`: pushes one batch (random N(0, 1) inputs, or real data with --data)
 * through the freshly initialised net, in training mode with dropout off, runs one backward pass
 * and reports each layer's activation statistics and gradient norms, flagging collapse,
 * saturation and explosion; `--init a,b,c` compares weight initialisations on the same batch.
 * tfjs and the data code are imported here only, so other commands never load them.
 */
import { formatStylish } from '../diagnostics/format.js';
import type { BackendInput } from '../backends/backend.js';
import type { Shape } from '../ir/dims.js';
import { AtomicFileWriter } from '../io/atomic-write.js';
import { EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError } from './exit-codes.js';
import { isFsError } from './check.js';
import { describeFsError } from './inputs.js';
import { compileOptions, useColor, type NetFlags } from './options.js';
import { checkBackendFlag, guarded, startBackend, STDIO, type CommandIo } from './model-command.js';

export interface InitReportFlags extends NetFlags {
  batch?: string | number;
  data?: string;
  seed?: string | number;
  init?: string;
  format?: string;
  html?: string;
  backend?: string;
  threads?: string | number;
  color?: boolean;
}

export type InitReportIo = CommandIo;

export const DEFAULT_BATCH = 64;

function integer(name: string, value: string | number | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || !check(n)) throw new UsageError(`${name} expects ${what}, got '${value}'`);
  return n;
}

export async function runInitReport(path: string, flags: InitReportFlags, io: InitReportIo = STDIO): Promise<number> {
  return guarded(io, path, () => initReport(path, flags, io));
}

/** Each source blob's analysed shape, with the batch axis set to `batch`; null entries: not fully known. */
function sourceShapes(input: BackendInput, batch: number): Map<string, { shape: Shape | null; fixed: number[] | null }> {
  const out = new Map<string, { shape: Shape | null; fixed: number[] | null }>();
  for (const node of input.model.graph.nodes) {
    if (node.op !== 'input' && node.op !== 'data') continue;
    const report = input.reports.get(node);
    node.outputs.forEach((blob, i) => {
      const shape = report?.outputs[i]?.shape ?? null;
      const rest = shape?.slice(1) ?? null;
      const fixed = shape && rest!.every((d) => typeof d === 'number') ? [batch, ...(rest as number[])] : null;
      out.set(blob, { shape, fixed });
    });
  }
  return out;
}

async function initReport(path: string, flags: InitReportFlags, io: InitReportIo): Promise<number> {
  // Opened first, so that an unwritable --html fails before the net is run, not after.
  let html: AtomicFileWriter | null = null;
  if (flags.html) {
    try {
      html = new AtomicFileWriter(flags.html);
    } catch (e) {
      if (!isFsError(e)) throw e;
      io.err(`nnspec: cannot write '${flags.html}': ${describeFsError(e)}`);
      return EXIT_USAGE;
    }
  }
  try {
    return await produce(path, flags, io, html);
  } finally {
    // A no-op once committed; otherwise the target is left as it was.
    html?.abort();
  }
}

async function produce(path: string, flags: InitReportFlags, io: InitReportIo, html: AtomicFileWriter | null): Promise<number> {
  const { parseInitList, InitSpecError } = await import('../recipe/init-report/index.js');
  let inits;
  try {
    inits = parseInitList(flags.init);
  } catch (e) {
    if (e instanceof InitSpecError) throw new UsageError(e.message);
    throw e;
  }
  const batch = integer('--batch', flags.batch, (n) => n >= 1, 'a whole number ≥ 1') ?? DEFAULT_BATCH;
  const seedFlag = integer('--seed', flags.seed, () => true, 'an integer');
  const threads = integer('--threads', flags.threads, (n) => n >= 1, 'a whole number ≥ 1');
  const format = flags.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format expects table or json, got '${format}'`);
  await checkBackendFlag(flags.backend);
  // A Caffe train_val net keeps its loss layers (and its labels) in the TRAIN phase.
  const options = compileOptions({ ...flags, phase: flags.phase ?? 'train' });
  const { prepareBackendInput } = await import('../backends/backend.js');
  let prepared = await prepareBackendInput(path, options);
  const report = () => {
    if (prepared.diagnostics.items.length > 0) io.err(formatStylish(prepared.diagnostics.items, { color: useColor(flags, process.stderr) }));
  };
  if (!prepared.input) {
    report();
    return EXIT_PROBLEMS;
  }
  // Every shape must be a number for the probes (and the batch the one asked for): set the batch axis of each input.
  const overrides = new Map(options.inputShapes ?? []);
  let changed = false;
  for (const [blob, { shape, fixed }] of sourceShapes(prepared.input, batch)) {
    if (!fixed) throw new UsageError(`the shape of input '${blob}' of '${path}' is not fully known (${shape ? shape.join('×') : 'not declared'}); give it with --input-shape ${blob}=N,…`);
    if (shape![0] !== batch) {
      overrides.set(blob, fixed);
      changed = true;
    }
  }
  if (changed) {
    prepared = await prepareBackendInput(path, { ...options, inputShapes: overrides });
    if (!prepared.input) {
      report();
      return EXIT_PROBLEMS;
    }
  }
  const base = prepared.input;
  const seed = seedFlag ?? base.model.train?.seed ?? 0;

  const { backend, label: backendLabel, line: backendLine } = await startBackend(flags.backend, threads);
  (format === 'json' ? io.err : io.out)(backendLine);
  const { tf } = backend;
  const { lowerToTfjs } = await import('../backends/tfjs/index.js');
  const { wire } = await import('../train/loop.js');
  const recipe = await import('../recipe/init-report/index.js');

  const results: import('../recipe/init-report/index.js').InitResult[] = [];
  let fed: import('../recipe/init-report/index.js').Batch | null = null;
  let inputLabel = 'random N(0, 1) inputs';
  try {
    for (const choice of inits) {
      const started = performance.now();
      const inst = recipe.instrument(base, choice.filler);
      const lowered = lowerToTfjs(tf, inst.input, { seed });
      if (!lowered || base.diagnostics.errorCount > 0) {
        report();
        lowered?.dispose();
        return EXIT_PROBLEMS;
      }
      try {
        const wiring = wire(base, lowered);
        if (typeof wiring === 'string') throw new UsageError(`cannot run '${path}': ${wiring}`);
        if (!fed) {
          const made = await makeBatch(tf, base, wiring, batch, seed, flags.data, path);
          fed = made.batch;
          inputLabel = made.label;
        }
        if (inits.length > 1 || batch * inst.entries.length > 10_000) io.err(`init ${choice.label}: one forward and backward pass of ${batch} examples through ${inst.entries.length} layers…`);
        const m = recipe.measure(tf, lowered, inst.entries, wiring, fed);
        results.push({ init: choice.label, filler: choice.filler, loss: m.loss, layers: m.layers, flags: m.flags });
        io.err(`init ${choice.label}: ${m.layers.length} layers in ${((performance.now() - started) / 1000).toFixed(1)} s${m.flags.length ? ` — ${m.flags.map((f) => `${f.kind.replace('_', ' ')} at '${f.layer}'`).join(', ')}` : ''}`);
      } finally {
        lowered.dispose();
      }
    }
  } finally {
    if (fed) {
      for (const t of Object.values(fed.feeds)) t.dispose();
      fed.target.dispose();
    }
  }
  report();

  const meta = { spec: path, backend: backendLabel, batch, seed, input: inputLabel };
  if (html) {
    try {
      html.write(recipe.formatHtml(results, meta));
      html.commit();
    } catch (e) {
      if (!isFsError(e)) throw e;
      io.err(`nnspec: cannot write '${flags.html}': ${describeFsError(e)}`);
      return EXIT_USAGE;
    }
  }
  if (format === 'json') {
    io.out(
      JSON.stringify(
        {
          ...meta,
          dropout: false,
          mode: 'train',
          thresholds: recipe.THRESHOLDS,
          definitions: {
            saturated: 'tanh: |y| > 0.99; sigmoid: y < 0.01 or y > 0.99 (fraction of all outputs); null for other ops',
            dead: 'ReLU: fraction of units (every index but the batch axis) that are ≤ 0 for every example of the batch; null for other ops',
            grad_norm: "L2 norm of the loss gradient w.r.t. the layer's trainable parameters (null without any)",
            grad_output_norm: "L2 norm of the loss gradient w.r.t. the layer's output, over the whole batch",
          },
          inits: results,
        },
        null,
        2,
      ),
    );
  } else {
    io.out(recipe.formatTable(results, `${path}: ${inputLabel}, batch ${batch}, seed ${seed}, training mode with dropout off`));
  }
  if (flags.html) io.err(`wrote ${flags.html}`);
  return prepared.diagnostics.errorCount > 0 ? EXIT_PROBLEMS : EXIT_OK;
}

/** One batch: random N(0, 1) images and uniform labels, or the first `size` examples of --data (shuffled). */
async function makeBatch(
  tf: import('../backends/tfjs/index.js').Tf,
  input: BackendInput,
  wiring: { imageInput: string; labelInputs: string[]; logits: string },
  size: number,
  seed: number,
  data: string | undefined,
  path: string,
): Promise<{ batch: import('../recipe/init-report/index.js').Batch; label: string }> {
  const { classCount } = await import('../train/session.js');
  const numClasses = classCount(input, wiring.logits);
  if (numClasses === null) throw new UsageError(`cannot tell the number of classes from the shape of '${wiring.logits}'`);
  const shapes = sourceShapes(input, size);
  const imageShape = shapes.get(wiring.imageInput)!.fixed!;
  let images: Float32Array;
  let labels: Int32Array;
  let label: string;
  if (data === undefined) {
    // tfjs draws from Math.random when a seed is 0 (falsy), so the seeds are hashed (and never 0).
    const { seedFor } = await import('../backends/tfjs/index.js');
    const draw = (key: string) => seedFor(seed, `init-report/${key}`) || 1;
    images = tf.tidy(() => tf.randomNormal(imageShape, 0, 1, 'float32', draw('inputs')).dataSync() as Float32Array);
    labels = tf.tidy(() => tf.randomUniform([size], 0, numClasses, 'int32', draw('labels')).dataSync() as Int32Array);
    label = 'random N(0, 1) inputs';
  } else {
    const d = await import('../data/index.js');
    if (imageShape.length !== 4) throw new UsageError(`--data needs an image input (N, C, H, W); '${wiring.imageInput}' of '${path}' is ${imageShape.join('×')}`);
    const chw = imageShape.slice(1) as [number, number, number];
    const modelData = d.dataOptionsFromModel(input.model);
    const dataset = await d.openDataset(data, { shape: modelData.inputShape ?? chw, numClasses, seed });
    if (dataset.numClasses > numClasses) throw new d.DataError(`the data has ${dataset.numClasses} classes but the net scores ${numClasses}`);
    if (dataset.size < size) throw new UsageError(`the data has only ${dataset.size} examples; use --batch ${dataset.size} or fewer`);
    const loader = new d.BatchLoader(await d.DataPipeline.create(dataset, { ...modelData, seed }), { batchSize: size, seed, mode: 'eval', shuffle: true });
    try {
      const batches = loader.epoch(0)[Symbol.asyncIterator]();
      const first = await batches.next();
      await batches.return?.(undefined);
      if (first.done) throw new UsageError(`the data '${data}' gave no batch`);
      const got = first.value;
      if (got.shape.some((dim, i) => dim !== imageShape[i])) throw new UsageError(`the data gives ${got.shape.join('×')} batches but '${wiring.imageInput}' takes ${imageShape.join('×')}`);
      images = got.images;
      labels = got.labels;
    } finally {
      await loader.close();
    }
    label = `${size} examples of ${data}`;
  }
  const feeds: Record<string, import('../backends/tfjs/types.js').Tensor> = { [wiring.imageInput]: tf.tensor(images, imageShape, 'float32') };
  for (const name of wiring.labelInputs) {
    const shape = shapes.get(name)?.fixed ?? [size];
    feeds[name] = tf.tensor(Float32Array.from(labels), shape.reduce((a, b) => a * b, 1) === size ? shape : [size], 'float32');
  }
  const target = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses));
  return { batch: { feeds, target, size }, label };
}
