/**
 * The doctor's outputs: the verdict for the terminal, and with --report DIR report.md,
 * report.html (one self-contained page: inline CSS and SVG, no script, no URL — the SVGs'
 * namespace declarations are dropped, HTML does not need them) and train-section.nnspec.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { lineChartSvg, scatterChartSvg, terminalChart, type Series } from '../../report/charts.js';
import { fmt, pct } from './run-config.js';
import { STEP_ORDER, STEP_TITLES, type DoctorFindings, type StepResult } from './types.js';

const status = (s: StepResult | undefined) => (!s ? 'not run' : s.passed ? 'pass' : 'FAIL');

/** One line per step and what to do next. */
export function terminalVerdict(f: DoctorFindings, options: { color?: boolean } = {}): string[] {
  const out = [''];
  const failed = f.steps.find((s) => !s.passed);
  if (f.best && f.best.history.length > 1) {
    out.push(terminalChart(curveSeries(f).loss, { title: `loss of the best fine run (lr ${fmt(f.best.lr)}, weight decay ${fmt(f.best.weightDecay)})`, height: 8, ...(options.color !== undefined ? { color: options.color } : {}) }), '');
  }
  out.push(failed ? `doctor: stopped at step ${STEP_ORDER.indexOf(failed.id) + 1} (${STEP_TITLES[failed.id]}): ${failed.summary}` : `doctor: all ${f.steps.length} steps passed in ${f.seconds.toFixed(0)} s`);
  for (const a of failed?.advice ?? []) out.push(`  → ${a}`);
  if (f.trainSection) out.push('', 'train section to paste into the spec:', ...f.trainSection.trimEnd().split('\n').map((l) => `  ${l}`));
  return out;
}

function curveSeries(f: DoctorFindings): { loss: Series[]; top1: Series[] } {
  const h = f.best?.history ?? [];
  const s = (name: string, pick: (m: (typeof h)[number]) => number | null): Series => ({ name, points: h.filter((m) => pick(m) !== null).map((m) => ({ x: m.epoch, y: pick(m)! })) });
  return { loss: [s('training loss', (m) => m.train_loss), s('validation loss', (m) => m.val_loss)], top1: [s('training top-1', (m) => m.train_top1), s('validation top-1', (m) => m.val_top1)] };
}

export function markdownReport(f: DoctorFindings): string {
  const lines = [
    `# nnspec doctor: ${f.netName}`,
    '',
    `Spec \`${f.spec}\`; ${f.trainSize} training / ${f.validationSize} validation examples, ${f.numClasses} classes, batch ${f.batchSize}; ${f.backend}; ${f.seconds.toFixed(0)} s.`,
    '',
    '| Step | Result | Summary |',
    '| --- | --- | --- |',
    ...STEP_ORDER.map((id, i) => {
      const s = f.steps.find((x) => x.id === id);
      return `| ${i + 1}. ${STEP_TITLES[id]} | ${status(s)} | ${s ? s.summary.replace(/\|/g, '\\|') : ''} |`;
    }),
  ];
  for (const s of f.steps) {
    lines.push('', `## ${STEP_ORDER.indexOf(s.id) + 1}. ${STEP_TITLES[s.id]}: ${status(s)}`, '', s.summary);
    if (s.details.length) lines.push('', ...s.details.map((d) => `- ${d}`));
    if (s.advice.length) lines.push('', s.passed ? '**Notes**' : '**What to do**', '', ...s.advice.map((a) => `- ${a}`));
  }
  if (f.trials.length) {
    lines.push('', '## Trials', '', '| Stage | lr | Weight decay | Epochs | Val top-1 | Val loss | Ended |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const t of f.trials) lines.push(`| ${t.stage} | ${fmt(t.lr)} | ${fmt(t.weightDecay)} | ${t.epochs} | ${pct(t.valTop1)} | ${t.valLoss === null ? '–' : fmt(t.valLoss)} | ${t.stopped} |`);
  }
  if (f.trainSection) lines.push('', '## Updated train section', '', 'Paste into the spec in place of its `train { … }` section (also in `train-section.nnspec`):', '', '```', f.trainSection.trimEnd(), '```');
  return `${lines.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Inline SVG in HTML needs no namespace declaration; dropping it leaves the page without a single URL. */
const inline = (svg: string) => svg.replace(/\sxmlns(:\w+)?="[^"]*"/g, '');

async function charts(f: DoctorFindings): Promise<string[]> {
  const out: string[] = [];
  const r = f.rangeTest;
  if (r && r.points.length > 1) {
    out.push(
      `<h2>Learning-rate range test</h2><p>Suggested rate ${r.suggested === null ? '–' : esc(fmt(r.suggested))}${r.divergedAt !== null ? `; the loss diverged at ${esc(fmt(r.divergedAt))}` : ''}.</p>`,
      inline(await lineChartSvg({ title: 'loss against learning rate', x: { title: 'learning rate', log: true }, y: { title: 'loss' }, series: [{ name: 'smoothed loss', points: r.points.map((p) => ({ x: p.lr, y: p.smoothed })) }, { name: 'loss', points: r.points.map((p) => ({ x: p.lr, y: p.loss })) }] })),
    );
  }
  const done = f.trials.filter((t) => t.valTop1 !== null && t.stopped !== 'diverged');
  if (done.length) {
    const by = (stage: string) => done.filter((t) => t.stage === stage);
    const series = (key: 'lr' | 'weightDecay'): Series[] => ['coarse', 'fine'].map((stage) => ({ name: `${stage} trials`, points: by(stage).map((t) => ({ x: t[key], y: t.valTop1! })) })).filter((s) => s.points.length > 0);
    out.push(
      '<h2>Search</h2>',
      inline(await scatterChartSvg({ title: 'validation top-1 against learning rate', x: { title: 'learning rate', log: true }, y: { title: 'validation top-1', domain: [0, 1] }, series: series('lr'), width: 360, height: 220 })),
      inline(await scatterChartSvg({ title: 'validation top-1 against weight decay', x: { title: 'weight decay', log: true }, y: { title: 'validation top-1', domain: [0, 1] }, series: series('weightDecay'), width: 360, height: 220 })),
    );
  }
  if (f.best && f.best.history.length > 0) {
    const c = curveSeries(f);
    out.push(
      `<h2>Curves of the best fine run</h2><p>lr ${esc(fmt(f.best.lr))}, weight decay ${esc(fmt(f.best.weightDecay))}.</p>`,
      inline(await lineChartSvg({ title: 'loss', x: { title: 'epoch' }, y: { title: 'loss' }, series: c.loss, width: 360, height: 220 })),
      inline(await lineChartSvg({ title: 'top-1 accuracy', x: { title: 'epoch' }, y: { title: 'top-1', domain: [0, 1] }, series: c.top1, width: 360, height: 220 })),
    );
  }
  return out;
}

export async function htmlReport(f: DoctorFindings): Promise<string> {
  const rows = STEP_ORDER.map((id, i) => {
    const s = f.steps.find((x) => x.id === id);
    return `<tr class="${s ? (s.passed ? 'pass' : 'fail') : 'skip'}"><td>${i + 1}. ${esc(STEP_TITLES[id])}</td><td>${status(s)}</td><td>${s ? esc(s.summary) : ''}</td></tr>`;
  }).join('\n');
  const sections = f.steps
    .map((s) => {
      const list = (items: string[]) => (items.length ? `<ul>${items.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : '');
      return `<h3>${STEP_ORDER.indexOf(s.id) + 1}. ${esc(STEP_TITLES[s.id])}: ${status(s)}</h3><p>${esc(s.summary)}</p>${list(s.details)}${s.advice.length ? `<p><b>${s.passed ? 'Notes' : 'What to do'}</b></p>${list(s.advice)}` : ''}`;
    })
    .join('\n');
  const trials = f.trials.length
    ? `<h2>Trials</h2><table><tr><th>stage</th><th>lr</th><th>weight decay</th><th>epochs</th><th>val top-1</th><th>val loss</th><th>ended</th></tr>${f.trials
        .map((t) => `<tr><td>${t.stage}</td><td>${esc(fmt(t.lr))}</td><td>${esc(fmt(t.weightDecay))}</td><td>${t.epochs}</td><td>${pct(t.valTop1)}</td><td>${t.valLoss === null ? '–' : esc(fmt(t.valLoss))}</td><td>${esc(t.stopped)}</td></tr>`)
        .join('')}</table>`
    : '';
  const section = f.trainSection ? `<h2>Updated train section</h2><p>Paste into the spec in place of its <code>train { … }</code> section (also in <code>train-section.nnspec</code>):</p><pre>${esc(f.trainSection)}</pre>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nnspec doctor: ${esc(f.netName)}</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
tr.pass td:nth-child(2){color:#1a7f37;font-weight:bold}tr.fail td:nth-child(2){color:#cf222e;font-weight:bold}tr.skip td{color:#888}
pre{background:#f6f8fa;padding:1em;overflow:auto}svg{margin:.5em 1em .5em 0}
</style></head><body>
<h1>nnspec doctor: ${esc(f.netName)}</h1>
<p>Spec <code>${esc(f.spec)}</code>; ${f.trainSize} training / ${f.validationSize} validation examples, ${f.numClasses} classes, batch ${f.batchSize}; ${esc(f.backend)}; ${f.seconds.toFixed(0)} s.</p>
<table><tr><th>Step</th><th>Result</th><th>Summary</th></tr>
${rows}
</table>
${sections}
${(await charts(f)).join('\n')}
${trials}
${section}
</body></html>
`;
}

/** Writes the report files (atomically) into `dir`; returns their names. */
export async function writeReport(dir: string, f: DoctorFindings): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  writeFileAtomic(join(dir, 'report.md'), markdownReport(f));
  files.push('report.md');
  writeFileAtomic(join(dir, 'report.html'), await htmlReport(f));
  files.push('report.html');
  if (f.trainSection) {
    writeFileAtomic(join(dir, 'train-section.nnspec'), f.trainSection);
    files.push('train-section.nnspec');
  }
  return files;
}
