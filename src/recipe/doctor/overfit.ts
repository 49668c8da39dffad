/**
 * Step 2: a net that cannot fit OVERFIT.sample examples cannot learn the task. The sample is
 * the first examples of the training split, fed whole as one batch so that each update's
 * accuracy is the sample's; weight decay, augmentation and the schedule are off (a fixed rate);
 * dropout stays, being part of the net. The spec's rate is tried first; when it diverges the
 * step retries a tenth and a hundredth of it (diverging: the loss is not finite or rose past
 * OVERFIT.blowUp × its start), when it is merely too slow ten times it, so that
 * a wrong rate alone does not stop the recipe (step 3 picks the rate properly).
 */
import { OVERFIT } from './settings.js';
import { overfitCauses, trainability } from './spec-facts.js';
import { FIXED, firstExamples, fmt, pct, runConfig, withoutAugmentation } from './run-config.js';
import type { DoctorContext, StepResult } from './types.js';

interface Attempt {
  lr: number;
  changed: boolean;
  reached: boolean;
  diverged: boolean;
  bestTop1: number;
  firstLoss: number;
  lastLoss: number;
  iterations: number;
}

export async function overfitStep(ctx: DoctorContext): Promise<StepResult> {
  const session = await import('../../train/session.js');
  const size = ctx.budget.quick ? OVERFIT.quickSample : OVERFIT.sample;
  const sample = await firstExamples(ctx.train, size);
  const maxIters = ctx.budget.quick ? OVERFIT.quickIterations : OVERFIT.iterations;
  const net = withoutAugmentation(ctx.net);
  const attempt = async (lr: number): Promise<Attempt> => {
    const a: Attempt = { lr, changed: false, reached: false, diverged: false, bestTop1: 0, firstLoss: NaN, lastLoss: NaN, iterations: 0 };
    const r = await session.runTraining({
      tf: ctx.tf,
      net,
      config: runConfig(ctx.base, { lr, l2: 0, schedule: FIXED }),
      train: sample,
      validation: null,
      batchSize: sample.size,
      length: { iterations: maxIters },
      seed: ctx.seed,
      onIteration: (e) => {
        if (a.iterations === 0) a.firstLoss = e.loss;
        a.iterations = e.iteration;
        a.lastLoss = e.loss;
        a.bestTop1 = Math.max(a.bestTop1, e.top1);
        if (e.top1 >= OVERFIT.accuracy) a.reached = true;
        // A loss far above where it started will not come back: the rate diverged (ReLUs die before the loss overflows).
        if (e.loss > OVERFIT.blowUp * a.firstLoss) a.diverged = true;
        // The same batch every update: a loss that has not changed at all by now never will (rate 0, everything frozen).
        if (Math.abs(e.loss - a.firstLoss) > 1e-6 * a.firstLoss) a.changed = true;
        return a.reached || a.diverged || (e.iteration >= OVERFIT.stuckAfter && !a.changed);
      },
    });
    a.diverged ||= r.stopped === 'diverged';
    ctx.progress(`  lr ${fmt(lr)}: ${a.reached ? `${pct(a.bestTop1)} after ${a.iterations} updates` : a.diverged ? `diverged after ${a.iterations} updates` : `best ${pct(a.bestTop1)} in ${a.iterations} updates, loss ${fmt(a.firstLoss)} → ${fmt(a.lastLoss)}`}`);
    return a;
  };
  const specLr = ctx.base.solver.base_lr;
  const attempts = [await attempt(specLr)];
  const canMove = specLr > 0 && trainability(ctx.net.input).learned > 0;
  if (!attempts[0]!.reached && canMove) {
    const retries = attempts[0]!.diverged ? [specLr / 10, specLr / 100] : [specLr * 10];
    for (const lr of retries) {
      const a = await attempt(lr);
      attempts.push(a);
      if (a.reached || (!a.diverged && !attempts[0]!.diverged)) break;
    }
  }
  const won = attempts.find((a) => a.reached);
  const details = [`${sample.size} training examples as one batch, up to ${maxIters} updates, weight decay and augmentation off, fixed rate`];
  for (const a of attempts) {
    details.push(`lr ${fmt(a.lr)}${a.lr === specLr ? " (the spec's)" : ''}: ${a.diverged ? `diverged after ${a.iterations} updates` : `best accuracy ${pct(a.bestTop1)} after ${a.iterations} updates, loss ${fmt(a.firstLoss)} → ${fmt(a.lastLoss)}`}`);
  }
  if (won) {
    const advice = won.lr !== specLr ? [`the spec's rate ${fmt(specLr)} ${attempts[0]!.diverged ? 'diverged' : 'did not fit the sample'}; ${fmt(won.lr)} did (the range test below picks a rate properly)`] : [];
    return { id: 'overfit', passed: true, summary: `fits ${sample.size} examples to ${pct(won.bestTop1)} training accuracy in ${won.iterations} updates (lr ${fmt(won.lr)})`, details, advice };
  }
  const first = attempts[0]!;
  const moved = first.lastLoss < OVERFIT.moved * first.firstLoss;
  const causes = overfitCauses(ctx.net.input, ctx.base, ctx.net.numClasses, specLr);
  if (attempts.every((a) => a.diverged)) causes.unshift(`every rate tried diverged (down to ${fmt(attempts[attempts.length - 1]!.lr)}): the initialisation or the input scale makes the loss explode`);
  else if (!moved && specLr > 0) causes.unshift(`the loss hardly moved (${fmt(first.firstLoss)} → ${fmt(first.lastLoss)}): no gradient reaches the weights, or the rate is far too small`);
  return {
    id: 'overfit',
    passed: false,
    summary: `cannot fit ${sample.size} examples: best training accuracy ${pct(Math.max(...attempts.map((a) => a.bestTop1)))} in ${Math.max(...attempts.map((a) => a.iterations))} updates (target ${pct(OVERFIT.accuracy)})`,
    details,
    advice: causes.map((c) => `likely cause: ${c}`),
  };
}
