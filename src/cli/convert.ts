/**
 * `nnspec convert FILE --to pytorch|caffe|nnspec [-o OUT] [--weights M.caffemodel]`: the
 * compiled IR through one backend. What the target cannot express is an error at the layer;
 * exact rewrites are notes. Every file is written atomically: weights first, then the code
 * that refers to them, so a failure never leaves code pointing at missing or stale weights.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { prepareBackendInput, type BackendInput } from '../backends/backend.js';
import { formatStylish } from '../diagnostics/format.js';
import { deliver, writeOrReport } from './output.js';
import { EXIT_PROBLEMS, EXIT_USAGE, UsageError } from './exit-codes.js';
import { isFsError } from './check.js';
import { describeFsError } from './inputs.js';
import { compileOptions, useColor, type NetFlags } from './options.js';

export type ConvertTarget = 'pytorch' | 'caffe' | 'nnspec';

export interface ConvertFlags extends NetFlags {
  to: ConvertTarget;
  output?: string;
  weights?: string;
  color?: boolean;
}

/** The weights file written beside `-o model.py`: `model.safetensors`. */
export function weightsPathFor(output: string): string {
  const ext = extname(output);
  return join(dirname(output), `${basename(output, ext)}.safetensors`);
}

export async function runConvert(path: string, flags: ConvertFlags): Promise<number> {
  if (flags.weights !== undefined) {
    if (flags.to !== 'pytorch') throw new UsageError(`--weights converts Caffe weights for PyTorch; use it with --to pytorch`);
    if (!flags.output) throw new UsageError(`--weights needs -o FILE.py: the weights are written beside it as a .safetensors file`);
  }
  let prepared;
  try {
    prepared = await prepareBackendInput(path, compileOptions(flags));
  } catch (e) {
    if (!isFsError(e)) throw e;
    process.stderr.write(`nnspec: cannot read '${path}': ${describeFsError(e)}\n`);
    return EXIT_USAGE;
  }
  const color = useColor(flags, process.stderr);
  const report = () => {
    const items = prepared.diagnostics.sorted();
    if (items.length > 0) process.stderr.write(`${formatStylish(items, { color })}\n`);
    return items.filter((d) => d.severity === 'error').length;
  };
  const { input } = prepared;
  if (!input) {
    const errors = report();
    if (errors === 0) {
      process.stderr.write(`nnspec: '${path}' describes no network to convert\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`nnspec: ${errors} error${errors === 1 ? '' : 's'}; nothing converted\n`);
    return EXIT_PROBLEMS;
  }

  let weightsFile: string | undefined;
  if (flags.weights !== undefined) {
    const written = await convertWeights(input, flags.weights, weightsPathFor(flags.output!));
    if (written === 'usage') {
      report();
      return EXIT_USAGE;
    }
    if (written === null) {
      const errors = report();
      process.stderr.write(`nnspec: ${errors} error${errors === 1 ? '' : 's'}; nothing converted\n`);
      return EXIT_PROBLEMS;
    }
    weightsFile = written;
  }

  const text = await emit(flags.to, input, weightsFile);
  const errors = report();
  if (text === null || errors > 0) {
    process.stderr.write(`nnspec: ${errors} error${errors === 1 ? '' : 's'}; nothing converted\n`);
    return EXIT_PROBLEMS;
  }
  return deliver(text, flags.output);
}

async function emit(to: ConvertTarget, input: BackendInput, weightsFile: string | undefined): Promise<string | null> {
  switch (to) {
    case 'pytorch': {
      const { emitPyTorchWith } = await import('../backends/pytorch/index.js');
      return emitPyTorchWith(input, weightsFile ? { weightsFile } : {});
    }
    case 'caffe': {
      const { emitCaffe } = await import('../backends/caffe/index.js');
      return emitCaffe(input);
    }
    case 'nnspec': {
      const { emitNnspec } = await import('../backends/nnspec/index.js');
      return emitNnspec(input);
    }
  }
}

/**
 * Reads the caffemodel, binds its blobs to the IR and writes them in the emitted module's
 * state_dict layout. Returns the weights file's base name, null when the weights do not fit
 * the net (diagnostics say why), 'usage' when the file cannot be read or written.
 */
async function convertWeights(input: BackendInput, caffemodel: string, target: string): Promise<string | null | 'usage'> {
  const { readCaffeModel, bindCaffeWeights, writeSafetensors } = await import('../weights/index.js');
  const { pytorchStateDict } = await import('../backends/pytorch/index.js');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(caffemodel);
  } catch (e) {
    if (!isFsError(e)) throw e;
    process.stderr.write(`nnspec: cannot read '${caffemodel}': ${describeFsError(e)}\n`);
    return 'usage';
  }
  const read = readCaffeModel(bytes, caffemodel);
  if ('error' in read) {
    process.stderr.write(`nnspec: ${read.error}\n`);
    return 'usage';
  }
  const weights = bindCaffeWeights(input.model.graph, read.model, input.diagnostics, input.reports);
  if (input.diagnostics.errorCount > 0) return null;
  const tensors = pytorchStateDict(input, weights);
  return writeOrReport(target, writeSafetensors(tensors, { format: 'pt', source: basename(caffemodel) })) ? basename(target) : 'usage';
}
