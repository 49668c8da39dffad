/**
 * `nnspec doctor`: the training recipe of the CS231n lecture, automated. Runs the steps in
 * order and stops at the first that fails, with what to do about it:
 * 1. initial loss ≈ log C (initial-loss.ts), 2. overfit a small sample (overfit.ts),
 * 3. learning-rate range test (lr-range.ts), 4–5. coarse then fine random search (search.ts),
 * 6. read the final curves (curves.ts). Thresholds and lengths: settings.ts.
 */
import { curvesStep } from './curves.js';
import { initialLossStep } from './initial-loss.js';
import { rangeTestStep } from './lr-range.js';
import { overfitStep } from './overfit.js';
import { fmt } from './run-config.js';
import { coarseBox, fineBox, rankTrials, searchStep } from './search.js';
import { printTrainSection } from './train-section.js';
import { STEP_ORDER, STEP_TITLES, type DoctorContext, type DoctorFindings, type StepResult } from './types.js';

export { STEP_ORDER, STEP_TITLES } from './types.js';
export type { Budget, DoctorContext, DoctorFindings, StepResult, Trial } from './types.js';

const round3 = (x: number) => Number(x.toPrecision(3));

export async function runRecipe(ctx: DoctorContext, meta: Pick<DoctorFindings, 'spec' | 'netName' | 'backend'>): Promise<DoctorFindings> {
  const started = performance.now();
  const f: DoctorFindings = {
    ...meta,
    numClasses: ctx.net.numClasses,
    trainSize: ctx.train.size,
    validationSize: ctx.validation.size,
    batchSize: ctx.batchSize,
    steps: [],
    initialLoss: null,
    rangeTest: null,
    trials: [],
    best: null,
    recommended: null,
    trainSection: null,
    seconds: 0,
  };
  const step = (r: StepResult) => {
    f.steps.push(r);
    const n = STEP_ORDER.indexOf(r.id) + 1;
    ctx.progress(`[${n}/6] ${STEP_TITLES[r.id]}: ${r.passed ? 'pass' : 'FAIL'} — ${r.summary}`);
    for (const a of r.advice) ctx.progress(`      ${r.passed ? 'note' : '→'} ${a}`);
    return r.passed;
  };
  const begin = (id: (typeof STEP_ORDER)[number], what: string) => ctx.progress(`[${STEP_ORDER.indexOf(id) + 1}/6] ${STEP_TITLES[id]}: ${what}…`);
  try {
    begin('initial-loss', 'loss of the untrained net, weight decay off');
    const init = await initialLossStep(ctx);
    f.initialLoss = init.loss;
    if (!step(init.result)) return f;

    begin('overfit', 'training on a small sample until it is memorised');
    if (!step(await overfitStep(ctx))) return f;

    begin('lr-range', 'raising the learning rate exponentially while watching the loss');
    const range = await rangeTestStep(ctx);
    f.rangeTest = { points: range.points, suggested: range.analysis.suggested, divergedAt: range.analysis.divergedAt };
    if (!step(range.result)) return f;

    const fineEpochs = ctx.budget.fineEpochs;
    const { SEARCH } = await import('./settings.js');
    const perEpoch = Math.ceil(ctx.train.size / ctx.batchSize);
    // Never longer than the fine runs, whatever the minimum number of updates asks.
    const coarseEpochs = Math.min(fineEpochs, Math.max(1, Math.round(fineEpochs / 3), Math.ceil(SEARCH.coarseMinUpdates / perEpoch)));
    begin('coarse-search', `${ctx.budget.trials} short run${ctx.budget.trials === 1 ? '' : 's'} over learning rate × weight decay`);
    const coarse = await searchStep(ctx, 'coarse', coarseBox(range.analysis.suggested!, range.analysis.minLr!, range.analysis.divergedAt), ctx.budget.trials, coarseEpochs);
    f.trials.push(...coarse.trials);
    if (!step(coarse.result)) return f;

    const fineTrials = Math.max(1, Math.ceil(ctx.budget.trials / 2));
    begin('fine-search', `${fineTrials} longer run${fineTrials === 1 ? '' : 's'} around the best coarse trial`);
    const fine = await searchStep(ctx, 'fine', fineBox(rankTrials(coarse.trials)[0]!, range.analysis.minLr!, range.analysis.divergedAt), fineTrials, fineEpochs);
    f.trials.push(...fine.trials);
    const best = rankTrials(fine.trials)[0]!;
    f.best = best;
    // Three significant digits: the search is not finer than that, and the section stays readable.
    f.recommended = { lr: round3(best.lr), weightDecay: round3(best.weightDecay), epochs: best.epochs };
    const passedFine = step(fine.result);
    if (passedFine) {
      begin('curves', `the best fine run (lr ${fmt(best.lr)}, weight decay ${fmt(best.weightDecay)})`);
      const curves = curvesStep(best.history, init.loss);
      if (curves.reading.findings.includes('still-rising')) f.recommended.epochs = best.epochs * 2;
      step(curves.result);
    }
    const printed = printTrainSection(ctx.base, { ...f.recommended, batchSize: ctx.batchSize });
    if ('text' in printed) f.trainSection = printed.text;
    else ctx.progress(`  cannot print the train section: ${printed.error}`);
    return f;
  } finally {
    f.seconds = (performance.now() - started) / 1000;
  }
}
