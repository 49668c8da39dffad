/**
 * Step 1: before any training, with weight decay off, the softmax cross-entropy of a net that
 * knows nothing is −log(1/C) = log C. Far above it, the net makes confident (wrong) guesses: the
 * class scores are spread too wide, almost always because the last layer starts too large.
 * Measured in inference mode (no dropout) on up to INITIAL_LOSS.examples training examples.
 */
import { INITIAL_LOSS } from './settings.js';
import { describeFiller, lastLearnedLayer, logitsBlob } from './spec-facts.js';
import { firstExamples, fmt, withoutAugmentation } from './run-config.js';
import type { DoctorContext, StepResult } from './types.js';

export interface InitialLoss {
  result: StepResult;
  loss: number;
}

/** How far from log C still counts as ≈ log C. */
export const initialLossTolerance = (numClasses: number): number => Math.max(INITIAL_LOSS.relative * Math.log(numClasses), INITIAL_LOSS.absolute);

export async function initialLossStep(ctx: DoctorContext): Promise<InitialLoss> {
  const { tf, seed } = ctx;
  const net = withoutAugmentation(ctx.net);
  const session = await import('../../train/session.js');
  const lowered = await session.lowerNet(tf, net, seed);
  const weights = lowered.params.toIrWeights();
  lowered.dispose();
  const sample = await firstExamples(ctx.train, INITIAL_LOSS.examples);
  const { probabilities, labels, numClasses: c } = await session.predictDataset(tf, net, weights, sample, ctx.batchSize);
  let loss = 0;
  let spread = 0;
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const row = probabilities.subarray(i * c, (i + 1) * c);
    loss += -Math.log(Math.max(row[labels[i]!]!, 1e-30));
    // log p differs from the logits by a constant per example, so its spread across classes is theirs.
    const logs = Array.from(row, (p) => Math.log(Math.max(p, 1e-30)));
    const mean = logs.reduce((a, b) => a + b, 0) / c;
    spread += Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / c);
  }
  loss /= n;
  spread /= n;
  const expected = Math.log(c);
  const tol = initialLossTolerance(c);
  const facts = [`expected log(${c}) = ${fmt(expected)} ± ${fmt(tol)}; measured ${fmt(loss)} on ${n} examples, weight decay off`, `class scores spread ${fmt(spread)} across classes on average (std of the logits)`];
  if (Math.abs(loss - expected) <= tol) {
    return { loss, result: { id: 'initial-loss', passed: true, summary: `initial loss ${fmt(loss)} ≈ log(${c}) = ${fmt(expected)}`, details: facts, advice: [] } };
  }
  const blob = await logitsBlob(ctx.net.input);
  const layer = blob ? lastLearnedLayer(ctx.net.input, blob) : null;
  const weight = layer?.params.find((p) => p.name === 'weight');
  const advice: string[] = [];
  if (loss > expected) {
    const where = layer ? `the last layer '${layer.name}'${weight ? ` (weight init: ${describeFiller(weight.init)})` : ''}` : 'the last layer';
    advice.push(`${where} starts with scores spread too wide (std ${fmt(spread)}${spread > INITIAL_LOSS.logitStd ? `, above ${INITIAL_LOSS.logitStd}` : ''}): the net makes confident guesses before it has learned anything`);
    advice.push(`initialise ${layer ? `'${layer.name}'` : 'it'} smaller — e.g. \`weight { init { type: gaussian std: 0.01 } }\` — or check what feeds it: inputs that are not centred or not scaled (0–255 pixels without a scale, no mean subtracted) inflate the scores too`);
  } else {
    advice.push('the loss is below chance before any training: the labels may leak into the inputs, or the loss is not softmax cross-entropy over the classes the data has');
  }
  return {
    loss,
    result: {
      id: 'initial-loss',
      passed: false,
      summary: `initial loss ${fmt(loss)} is ${loss > expected ? 'far above' : 'below'} log(${c}) = ${fmt(expected)} (tolerance ± ${fmt(tol)})${layer && loss > expected ? `; last layer '${layer.name}'` : ''}`,
      details: facts,
      advice,
    },
  };
}
