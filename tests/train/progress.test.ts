/**
 * How training shows progress: a progress bar on a terminal, plain lines elsewhere, the terminal
 * chart at the end, and the curves SVG in --out.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runTrain } from '../../src/cli/train.js';
import { progressReporter, type ProgressStream } from '../../src/train/progress.js';

const TMP = mkdtempSync(join(tmpdir(), 'nnspec-progress-'));

/** A stream that says it is a terminal and keeps what is written to it. */
function fakeTerminal(): { stream: ProgressStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY: boolean; columns: number };
  stream.isTTY = true;
  stream.columns = 160;
  return { stream, text: () => chunks.join('') };
}

const event = (iterationInEpoch: number) => ({ iteration: iterationInEpoch, epoch: 1, lr: 0.01, loss: 0.5, top1: 0.75, batchSize: 32, iterationInEpoch, itersPerEpoch: 5 });

describe('training progress', () => {
  it('prints plain lines when the progress stream is not a terminal', () => {
    const lines: string[] = [];
    const plain = progressReporter((l) => lines.push(l), undefined, 100);
    expect(plain.progressEvery).toBe(100);
    plain.onIteration(event(1));
    plain.onProgress('epoch 1  iter 5/5');
    expect(lines).toEqual(['epoch 1  iter 5/5']);
  });

  it('draws a bar with the update, loss, rate and ETA on a terminal, and clears it for the epoch line', async () => {
    const lines: string[] = [];
    const terminal = fakeTerminal();
    const bar = progressReporter((l) => lines.push(l), terminal.stream, 100);
    // The bar shows the running figures: no running lines besides it.
    expect(bar.progressEvery).toBe(0);
    bar.onIteration(event(1));
    bar.onIteration(event(3));
    // The bar redraws on a timer, ten times a second.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const drawn = terminal.text();
    expect(drawn).toMatch(/epoch 1 .* 3\/5 \| loss 0\.5000 \| lr 0\.0100 \| \d+ img\/s \| ETA /);
    bar.onProgress('epoch 1  iter 5/5');
    expect(lines).toEqual(['epoch 1  iter 5/5']);
    bar.stop();
  });

  it('nnspec train --chart draws the curves in the terminal, and --out writes curves.svg', async () => {
    const spec = join(TMP, 'tiny.prototxt');
    writeFileSync(
      spec,
      `name: "tiny"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 8 dim: 1 dim: 12 dim: 12 } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 4 weight_filler { type: "xavier" } } }
`,
    );
    const out = join(TMP, 'run');
    const lines: string[] = [];
    const terminal = fakeTerminal();
    const code = await runTrain(spec, { out, data: 'synthetic:60', epochs: 3, batchSize: 8, lr: 0.0001, seed: 1, threads: 2, chart: true }, { out: (l) => lines.push(l), err: () => undefined, progress: terminal.stream });
    expect(code).toBe(0);
    expect(terminal.text()).toMatch(/epoch 3 .*\/7 \| loss/);
    const text = lines.join('\n');
    expect(text).toContain('loss against iteration');
    expect(text).toContain('accuracy against iteration');
    expect(text).toContain('validation loss');
    const svg = readFileSync(join(out, 'curves.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* width="\d+" height="\d+"/);
    // The loss chart above the accuracy chart, each with its training and validation series.
    expect(svg.match(/<svg x="0" y="\d+"/g)).toHaveLength(2);
    for (const label of ['training loss', 'validation loss', 'training top-1', 'validation top-1', 'iteration']) expect(svg).toContain(label);
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });
});
