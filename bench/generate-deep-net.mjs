#!/usr/bin/env node
// Generates a deep residual Caffe prototxt (NetParameter text format) for benchmarking.
//
//   node bench/generate-deep-net.mjs 1000 > deep-1000.prototxt
//
// Layout: an Input layer (1x64x56x56), then N blocks of
//   Convolution (64 out, 3x3, pad 1, no bias, msra) -> BatchNorm -> Scale -> ReLU
// (the last three in place), with an Eltwise SUM after every second block that adds the
// skip connection (the previous Eltwise output, or the input for the first one).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';

function inputLayer() {
  return `name: "deep_resnet"
layer {
  name: "data"
  type: "Input"
  top: "data"
  input_param {
    shape {
      dim: 1
      dim: 64
      dim: 56
      dim: 56
    }
  }
}
`;
}

function block(i, bottom) {
  const conv = `conv${i}`;
  return `layer {
  name: "${conv}"
  type: "Convolution"
  bottom: "${bottom}"
  top: "${conv}"
  param {
    lr_mult: 1
    decay_mult: 1
  }
  convolution_param {
    num_output: 64
    bias_term: false
    pad: 1
    kernel_size: 3
    stride: 1
    weight_filler {
      type: "msra"
    }
  }
}
layer {
  name: "${conv}_bn"
  type: "BatchNorm"
  bottom: "${conv}"
  top: "${conv}"
  batch_norm_param {
    use_global_stats: true
    eps: 1e-05
  }
}
layer {
  name: "${conv}_scale"
  type: "Scale"
  bottom: "${conv}"
  top: "${conv}"
  scale_param {
    bias_term: true
  }
}
layer {
  name: "${conv}_relu"
  type: "ReLU"
  bottom: "${conv}"
  top: "${conv}"
}
`;
}

function eltwise(i, a, b) {
  return `layer {
  name: "res${i}"
  type: "Eltwise"
  bottom: "${a}"
  bottom: "${b}"
  top: "res${i}"
  eltwise_param {
    operation: SUM
  }
}
`;
}

/** Yields the prototxt text of an N-block net in chunks (one chunk per block). */
export function* deepNetChunks(blocks) {
  yield inputLayer();
  let skip = 'data'; // what the next Eltwise adds back
  let prev = 'data'; // the blob the next block reads
  for (let i = 1; i <= blocks; i++) {
    let chunk = block(i, prev);
    prev = `conv${i}`;
    if (i % 2 === 0) {
      chunk += eltwise(i / 2, skip, prev);
      skip = prev = `res${i / 2}`;
    }
    yield chunk;
  }
}

/** The whole prototxt as one string (fine up to a few tens of MB). */
export function deepNet(blocks) {
  return [...deepNetChunks(blocks)].join('');
}

/** Streams the prototxt to `path`, buffering ~1 MB at a time. Resolves to the byte count. */
export async function writeDeepNet(path, blocks) {
  const out = createWriteStream(path);
  let buf = '';
  let bytes = 0;
  for (const chunk of deepNetChunks(blocks)) {
    buf += chunk;
    if (buf.length >= 1 << 20) {
      bytes += buf.length;
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  bytes += buf.length;
  out.end(buf);
  await once(out, 'finish');
  return bytes;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const blocks = Number(process.argv[2]);
  if (!Number.isInteger(blocks) || blocks < 1) {
    console.error('usage: node bench/generate-deep-net.mjs BLOCKS > file.prototxt');
    process.exit(2);
  }
  for (const chunk of deepNetChunks(blocks)) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  }
}
