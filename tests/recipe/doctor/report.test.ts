/**
 * The report files from fixed findings (no training): the markdown against a reviewed golden
 * (golden/doctor/), the HTML self-contained, the terminal verdict naming the failed step.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { htmlReport, markdownReport, terminalVerdict } from '../../../src/recipe/doctor/report.js';
import type { DoctorFindings, Trial } from '../../../src/recipe/doctor/types.js';
import type { EpochMetrics } from '../../../src/train/loop.js';
import { ROOT } from '../../helpers.js';

const epochs = (n: number): EpochMetrics[] =>
  Array.from({ length: n }, (_, i) => ({ epoch: i + 1, iteration: 10 * (i + 1), lr: 0.05, train_loss: 1.2 / (i + 1), train_top1: 0.5 + 0.1 * i, val_loss: 1.3 / (i + 1), val_top1: 0.45 + 0.1 * i, val_top5: null, seconds: 1, images_per_second: 100 }));
const trial = (stage: Trial['stage'], index: number, lr: number, weightDecay: number, valTop1: number | null, stopped = 'completed'): Trial => ({ stage, index, lr, weightDecay, epochs: stage === 'coarse' ? 1 : 4, stopped, valTop1, valLoss: valTop1 === null ? null : 1 - valTop1, history: stage === 'fine' ? epochs(4) : epochs(1), seconds: 1 });

function findings(): DoctorFindings {
  const fine = trial('fine', 0, 0.05, 1e-4, 0.75);
  return {
    spec: 'tests/fixtures/doctor/healthy.nnspec',
    netName: 'TinyCNN <demo>',
    numClasses: 4,
    trainSize: 480,
    validationSize: 120,
    batchSize: 32,
    backend: 'tfjs backend: wasm (2 threads)',
    steps: [
      { id: 'initial-loss', passed: true, summary: 'initial loss 1.39 ≈ log(4) = 1.39', details: ['expected log(4) = 1.39 ± 0.25'], advice: [] },
      { id: 'overfit', passed: true, summary: 'fits 32 examples to 100.0% training accuracy in 35 updates (lr 0.05)', details: [], advice: [] },
      { id: 'lr-range', passed: true, summary: 'suggested learning rate 0.02; diverged at 0.9', details: ['the loss diverged at lr 0.9: rates from there on are unusable'], advice: [] },
      { id: 'coarse-search', passed: true, summary: 'best: lr 0.05, weight decay 1e-4 → validation top-1 60.0%', details: [], advice: [] },
      { id: 'fine-search', passed: true, summary: 'best: lr 0.05, weight decay 1e-4 → validation top-1 75.0%', details: [], advice: [] },
      { id: 'curves', passed: false, summary: 'still rising', details: [], advice: ['still rising: since epoch 3 validation top-1 went 65.0% → 75.0% — train longer'] },
    ],
    initialLoss: 1.39,
    rangeTest: { points: [1e-5, 1e-3, 1e-1, 0.9].map((lr, i) => ({ lr, loss: [1.4, 1.3, 0.9, 3][i]!, smoothed: [1.4, 1.35, 1.0, 2.5][i]! })), suggested: 0.02, divergedAt: 0.9 },
    trials: [trial('coarse', 0, 0.01, 1e-5, 0.5), trial('coarse', 1, 0.05, 1e-4, 0.6), trial('coarse', 2, 0.2, 1e-3, null, 'diverged'), fine],
    best: fine,
    recommended: { lr: 0.05, weightDecay: 1e-4, epochs: 8 },
    trainSection: '# From nnspec doctor: lr 0.05 (was 0.05), weight_decay 1e-4 (was 0).\ntrain { solver { lr: 0.05 momentum: 0.9 } weight_decay: 0.0001 epochs: 8 batch_size: 32 }\n',
    seconds: 42,
  };
}

describe('doctor report', () => {
  it('markdown: the steps table, each step, and the train section (golden)', async () => {
    await expect(markdownReport(findings())).toMatchFileSnapshot(join(ROOT, 'golden/doctor/report.md'));
  });

  it('html: self-contained, escaped, with the range test, search and curve charts', async () => {
    const html = await htmlReport(findings());
    expect(html).not.toMatch(/https?:|<script|<link|src=|url\(/);
    expect(html).toContain('TinyCNN &lt;demo&gt;');
    expect(html.match(/<svg/g)).toHaveLength(5);
    expect(html).toContain('<tr class="fail"><td>6. Reading the curves</td><td>FAIL</td>');
    expect(html).toContain('the loss diverged at 0.9');
  }, 30_000);

  it('terminal: names the step that failed and what to do, then the train section', () => {
    const lines = terminalVerdict(findings(), { color: false });
    const at = lines.indexOf('doctor: stopped at step 6 (Reading the curves): still rising');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('  → still rising: since epoch 3 validation top-1 went 65.0% → 75.0% — train longer');
    expect(lines).toContain('  train { solver { lr: 0.05 momentum: 0.9 } weight_decay: 0.0001 epochs: 8 batch_size: 32 }');
  });
});
