/**
 * Independent reference formulas for the analysis tests, written from the frameworks' own
 * source text (not from nnspec's code), and a small wrapper that compiles a net and collects
 * its per-node reports.
 */
import { compileFile, compileText, type CompileOptions, type CompileResult } from '../../src/compile.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import type { Shape } from '../../src/ir/dims.js';
import type { NodeReport } from '../../src/passes/analyze.js';

// ---------------------------------------------------------------------------------------------
// Caffe, src/caffe/layers/pooling_layer.cpp, PoolingLayer<Dtype>::Reshape (BVLC master):
//
//   switch (round_mode_) {
//   case PoolingParameter_RoundMode_CEIL:
//     pooled_height_ = static_cast<int>(ceil(static_cast<float>(
//         height_ + 2 * pad_h_ - kernel_h_) / stride_h_)) + 1;
//     ...
//   case PoolingParameter_RoundMode_FLOOR:
//     pooled_height_ = static_cast<int>(floor(static_cast<float>(
//         height_ + 2 * pad_h_ - kernel_h_) / stride_h_)) + 1;
//   }
//   if (pad_h_ || pad_w_) {
//     // If we have padding, ensure that the last pooling starts strictly
//     // inside the image (instead of at the padding); otherwise clip the last.
//     if ((pooled_height_ - 1) * stride_h_ >= height_ + pad_h_) {
//       --pooled_height_;
//     }
//     ...
//   }
// ---------------------------------------------------------------------------------------------

/** One axis of Caffe's pooled size. `anyPad` is `pad_h_ || pad_w_` (the clip looks at both axes). */
export function caffePooled(height: number, kernel: number, stride: number, pad: number, round: 'CEIL' | 'FLOOR' = 'CEIL', anyPad = pad > 0): number {
  const f = Math.fround((height + 2 * pad - kernel) / stride);
  let pooled = Math.trunc(round === 'CEIL' ? Math.ceil(f) : Math.floor(f)) + 1;
  if (anyPad) {
    if ((pooled - 1) * stride >= height + pad) --pooled;
  }
  return pooled;
}

// ---------------------------------------------------------------------------------------------
// PyTorch, aten/src/ATen/native/Pool.h:
//
//   template<typename T>
//   inline T pooling_output_shape_pad_lr(
//           T inputSize, T kernelSize, T pad_l, T pad_r, T stride, T dilation,
//           bool ceil_mode) {
//       T outputSize = div_rtn<T>(
//           inputSize + pad_l + pad_r - dilation * (kernelSize - 1) - 1 +
//           (ceil_mode ? stride - 1 : 0), stride) + 1;
//       if (ceil_mode) {
//           // ensure that the last pooling starts inside the image
//           // needed to avoid problems in ceil mode
//           if ((outputSize - 1) * stride >= inputSize + pad_l) {
//             --outputSize;
//           }
//       }
//       return outputSize;
//   }
//
// div_rtn rounds towards negative infinity.
// ---------------------------------------------------------------------------------------------

const divRtn = (x: number, y: number): number => Math.floor(x / y);

export function torchPooled(inputSize: number, kernelSize: number, padL: number, padR: number, stride: number, ceilMode: boolean, dilation = 1): number {
  let outputSize = divRtn(inputSize + padL + padR - dilation * (kernelSize - 1) - 1 + (ceilMode ? stride - 1 : 0), stride) + 1;
  if (ceilMode) {
    if ((outputSize - 1) * stride >= inputSize + padL) --outputSize;
  }
  return outputSize;
}

// Caffe src/caffe/layers/conv_layer.cpp compute_output_shape:
//   const int kernel_extent = dilation_data[i] * (kernel_shape_data[i] - 1) + 1;
//   const int output_dim = (input_dim + 2 * pad_data[i] - kernel_extent) / stride_data[i] + 1;
export function caffeConvOut(input: number, kernel: number, stride: number, pad: number, dilation = 1): number {
  const extent = dilation * (kernel - 1) + 1;
  return Math.trunc((input + 2 * pad - extent) / stride) + 1;
}

// Caffe src/caffe/layers/deconv_layer.cpp compute_output_shape:
//   const int kernel_extent = dilation_data[i] * (kernel_shape_data[i] - 1) + 1;
//   const int output_dim = stride_data[i] * (input_dim - 1) + kernel_extent - 2 * pad_data[i];
export function caffeDeconvOut(input: number, kernel: number, stride: number, pad: number, dilation = 1): number {
  const extent = dilation * (kernel - 1) + 1;
  return stride * (input - 1) + extent - 2 * pad;
}

/**
 * Receptive field of a chain, layer by layer (Araujo et al., Distill 2019): starting from the
 * input (r 1, S 1, P 0), each layer with kernel k (dilated extent), stride s and padding p gives
 *   r ← r + (k − 1)·S,  P ← P + p·S,  S ← S·s.
 * Returns the value after every layer.
 */
export function rfChain(layers: { name: string; k: number; s: number; p: number }[]): Map<string, { r: number; S: number; P: number }> {
  const out = new Map<string, { r: number; S: number; P: number }>();
  let r = 1;
  let S = 1;
  let P = 0;
  for (const l of layers) {
    r = r + (l.k - 1) * S;
    P = P + l.p * S;
    S = S * l.s;
    out.set(l.name, { r, S, P });
  }
  return out;
}

/** Distill's closed form: r0 = Σ_l (k_l − 1)·Π_{i<l} s_i + 1. */
export function rfClosedForm(layers: { k: number; s: number }[]): number {
  let sum = 0;
  let prod = 1;
  for (const l of layers) {
    sum += (l.k - 1) * prod;
    prod *= l.s;
  }
  return sum + 1;
}

// ---------------------------------------------------------------------------------------------

export interface Analysis {
  result: CompileResult;
  rows: NodeReport[];
  diagnostics: Diagnostic[];
  /** The report of the node of this name (fails the test when absent). */
  node(name: string): NodeReport;
  /** The shape of a blob, as the last node that wrote it reported it. */
  blob(name: string): Shape | null | undefined;
  codes: string[];
}

function wrap(result: CompileResult, rows: NodeReport[]): Analysis {
  return {
    result,
    rows,
    diagnostics: result.diagnostics,
    codes: result.diagnostics.map((d) => d.code),
    node(name) {
      const row = rows.find((r) => r.node.name === name);
      if (!row) throw new Error(`no node '${name}' among ${rows.map((r) => r.node.name).join(', ')}`);
      return row;
    },
    blob(name) {
      let shape: Shape | null | undefined;
      for (const r of rows) for (const o of r.outputs) if (o.name === name) shape = o.shape;
      return shape;
    },
  };
}

export async function analyseText(name: string, text: string, options: CompileOptions = {}): Promise<Analysis> {
  const rows: NodeReport[] = [];
  const result = await compileText(name, text, { ...options, onReport: (r) => rows.push(r) });
  return wrap(result, rows);
}

export async function analyseFile(path: string, options: CompileOptions = {}): Promise<Analysis> {
  const rows: NodeReport[] = [];
  const result = await compileFile(path, { ...options, onReport: (r) => rows.push(r) });
  return wrap(result, rows);
}

/** Sum of one cost field over the net (nodes without a cost count 0). */
export function total(rows: NodeReport[], field: 'params' | 'trainableParams' | 'macs'): number {
  return rows.reduce((s, r) => s + (r.cost?.[field] ?? 0), 0);
}

/** A Caffe net with one declared input, for layer snippets. */
export function caffeNet(inputShape: number[], layers: string, input = 'data'): string {
  return caffeInputs({ [input]: inputShape }, layers);
}

/** A Caffe net with several declared inputs (legacy `input` + `input_shape`, in order). */
export function caffeInputs(inputs: Record<string, number[]>, layers: string): string {
  const decl = Object.entries(inputs)
    .map(([name, shape]) => `input: "${name}"\ninput_shape { ${shape.map((d) => `dim: ${d}`).join(' ')} }\n`)
    .join('');
  return `name: "t"\n${decl}${layers}\n`;
}

/** The text range of the one-line layer that names itself `name` (for span checks). */
export function layerLine(text: string, name: string): { start: number; end: number } {
  const start = text.search(new RegExp(`(layer \\{ name: "${name}"|[A-Za-z]+ \\{ name: ${name}\\b)`));
  if (start < 0) throw new Error(`no layer '${name}' in the text`);
  const end = text.indexOf('\n', start);
  return { start, end: end < 0 ? text.length : end };
}
