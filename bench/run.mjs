#!/usr/bin/env node
// Benchmark: `nnspec check` against `protoc --encode` on deep residual Caffe prototxt files.
// Run with `npm run bench` (builds first) or `node bench/run.mjs [--sizes 1000,10000] [--runs N]`.
// See bench/README.md for what is measured and how to read the output.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeDeepNet } from './generate-deep-net.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out');
const PROTO = join('bench', 'caffe-subset.proto');
const CLI = join('dist', 'cli', 'main.js');
const GENERATOR = fileURLToPath(new URL('./generate-deep-net.mjs', import.meta.url));
const GNU_TIME = '/usr/bin/time';

// The targets the output is judged against (reported, never enforced).
const TARGET_TIME_RATIO = 0.5; // nnspec median time <= 0.5 x protoc median time
const TARGET_MEM_RATIO = 1.0; // nnspec peak RSS <= protoc peak RSS
const TARGET_GROWTH_EXPONENT = 1.1; // time ~ blocks^k between consecutive sizes, k <= 1.1

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,50000' },
    runs: { type: 'string' },
    'no-gnu-time': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(`usage: node bench/run.mjs [--sizes 1000,10000,50000] [--runs N] [--no-gnu-time]
  --sizes        residual-block counts to generate and measure
  --runs         runs per measurement (default: 5 up to 10000 blocks, 3 above)
  --no-gnu-time  measure peak RSS by polling /proc instead of ${GNU_TIME}`);
  process.exit(0);
}
const sizes = opts.sizes.split(',').map((s) => Number(s.trim()));
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) fail(`--sizes: expected positive integers, got '${opts.sizes}'`);
const runsFor = (blocks) => (opts.runs ? Number(opts.runs) : blocks <= 10_000 ? 5 : 3);
if (opts.runs && !(Number.isInteger(Number(opts.runs)) && Number(opts.runs) >= 1)) fail(`--runs: expected a positive integer, got '${opts.runs}'`);

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

// ---- measuring one command ----

const useGnuTime = !opts['no-gnu-time'] && existsSync(GNU_TIME);
const rssMethod = useGnuTime ? `${GNU_TIME} -f %M` : existsSync('/proc/self/status') ? '/proc/<pid>/status VmHWM polling' : 'n/a';
const scratch = mkdtempSync(join(tmpdir(), 'nnspec-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs `cmd args` once in the repo root, with stdin from `stdinPath` (or nothing) and stdout
 * discarded unless `captureStdout`. Returns { seconds, peakKB, stdout }; throws when the
 * command exits non-zero. Wall time is taken here; peak RSS comes from GNU time when present.
 */
async function runOnce(cmd, args, { stdinPath, captureStdout = false } = {}) {
  const timeFile = join(scratch, 'time.txt');
  const [file, argv] = useGnuTime ? [GNU_TIME, ['-f', '%M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const stdinFd = stdinPath ? openSync(stdinPath, 'r') : 'ignore';
  const started = process.hrtime.bigint();
  const child = spawn(file, argv, { cwd: ROOT, stdio: [stdinFd, captureStdout ? 'pipe' : 'ignore', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let polledKB = null;
  const poll = useGnuTime ? null : setInterval(() => (polledKB = vmHwmKB(child.pid) ?? polledKB), 2);
  const [code, signal] = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (poll) clearInterval(poll);
  if (typeof stdinFd === 'number') closeSync(stdinFd);
  if (code !== 0) {
    const output = `${stdout.slice(0, 2000)}\n${stderr.slice(0, 2000)}`.trim();
    throw new Error(`'${[cmd, ...args].join(' ')}' exited with ${signal ?? code}\n${output}`);
  }
  const peakKB = useGnuTime ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) : polledKB;
  return { seconds, peakKB: Number.isFinite(peakKB) ? peakKB : null, stdout };
}

function vmHwmKB(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null; // gone already, or no /proc
  }
}

// ---- statistics and formatting ----

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summarize = (samples) => {
  const secs = samples.map((s) => s.seconds);
  const kbs = samples.map((s) => s.peakKB).filter((k) => k !== null);
  return {
    runs: samples.length,
    medianS: median(secs),
    minS: Math.min(...secs),
    peakMB: kbs.length ? (median(kbs) * 1024) / 1e6 : null,
    samplesS: secs,
    samplesPeakKB: samples.map((s) => s.peakKB),
  };
};
const fmt = (x, digits = 2) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits));
const verdict = (met) => (met === null ? 'NOT MEASURED' : met ? 'met' : 'NOT MET');

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---- main ----

if (!existsSync(join(ROOT, CLI))) fail(`${CLI} not found; run 'npm run build' first (or use 'npm run bench')`);

const protocVersion = (() => {
  const r = spawnSync('protoc', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
})();
if (!protocVersion) {
  console.log('protoc not found: the protoc comparison is skipped. Install it with');
  console.log('  apt-get install -y protobuf-compiler     (Debian/Ubuntu)\n');
}
if (!useGnuTime) {
  console.log(`${GNU_TIME} not used; peak RSS comes from ${rssMethod} (install GNU time with 'apt-get install -y time').\n`);
}
const loadAtStart = loadavg()[0];
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, ${protocVersion ?? 'no protoc'}, peak RSS via ${rssMethod}`);
console.log(`load average ${fmt(loadAtStart)} (other work on the machine skews the medians; the minimums are steadier)`);

mkdirSync(OUT, { recursive: true });
const generatorTime = statSync(GENERATOR).mtimeMs;
const results = [];

/** Generates the N-block file if needed and measures both tools on it. */
async function measureSize(blocks) {
  const file = join(OUT, `deep-${blocks}.prototxt`);
  if (!existsSync(file) || statSync(file).mtimeMs < generatorTime) {
    process.stdout.write(`generating ${file} ... `);
    const bytes = await writeDeepNet(file, blocks);
    console.log(`${fmt(bytes / 1e6)} MB`);
  }
  const fileBytes = statSync(file).size;
  const runs = runsFor(blocks);
  process.stdout.write(`${blocks} blocks: ${runs} runs `);

  const protocSamples = [];
  const nnspecSamples = [];
  for (let r = 0; r < runs; r++) {
    // Alternate the two tools so that drift in machine load hits both alike.
    if (protocVersion) {
      protocSamples.push(await runOnce('protoc', ['--encode=caffe.NetParameter', PROTO], { stdinPath: file }));
    }
    const run = await runOnce(process.execPath, [CLI, 'check', '--no-color', file], { captureStdout: true });
    if (!/\b0 errors\b/.test(run.stdout)) {
      throw new Error(`nnspec check reported problems on ${file}:\n${run.stdout.slice(0, 2000)}`);
    }
    nnspecSamples.push(run);
    process.stdout.write('.');
  }
  console.log(' done');

  const protoc = protocVersion ? summarize(protocSamples) : null;
  const nnspec = summarize(nnspecSamples);
  return {
    blocks,
    fileBytes,
    protoc,
    nnspec,
    timeRatio: protoc ? nnspec.medianS / protoc.medianS : null,
    memRatio: protoc?.peakMB && nnspec.peakMB ? nnspec.peakMB / protoc.peakMB : null,
    nnspecUsPerBlock: (nnspec.medianS / blocks) * 1e6,
  };
}

try {
  for (const blocks of sizes) results.push(await measureSize(blocks));
} catch (err) {
  console.log();
  fail(err.message); // a command failed: report it and exit non-zero
}

// Growth exponent k between consecutive sizes: time ratio = (blocks ratio)^k; k = 1 is linear.
const growth = results.slice(1).map((cur, i) => {
  const prev = results[i];
  return {
    from: prev.blocks,
    to: cur.blocks,
    exponent: Math.log(cur.nnspec.medianS / prev.nnspec.medianS) / Math.log(cur.blocks / prev.blocks),
    marginalUsPerBlock: ((cur.nnspec.medianS - prev.nnspec.medianS) / (cur.blocks - prev.blocks)) * 1e6,
  };
});

const all = (xs) => (xs.some((x) => x === null) ? null : xs.every(Boolean));
const targets = {
  time: {
    goal: `nnspec check median time <= ${TARGET_TIME_RATIO} x protoc median time, at every size`,
    met: all(results.map((r) => (r.timeRatio === null ? null : r.timeRatio <= TARGET_TIME_RATIO))),
  },
  memory: {
    goal: 'nnspec check peak RSS <= protoc peak RSS, at every size',
    met: all(results.map((r) => (r.memRatio === null ? null : r.memRatio <= TARGET_MEM_RATIO))),
  },
  linear: {
    goal: `nnspec time grows linearly: growth exponent <= ${TARGET_GROWTH_EXPONENT} between consecutive sizes`,
    met: growth.length ? growth.every((g) => g.exponent <= TARGET_GROWTH_EXPONENT) : null,
  },
};

console.log(
  '\n' +
    table(
      ['blocks', 'file MB', 'protoc med s', 'protoc min s', 'protoc peak MB', 'nnspec med s', 'nnspec min s', 'nnspec peak MB', 'time ratio', 'mem ratio'],
      results.map((r) => [
        String(r.blocks),
        fmt(r.fileBytes / 1e6),
        fmt(r.protoc?.medianS, 3),
        fmt(r.protoc?.minS, 3),
        fmt(r.protoc?.peakMB, 1),
        fmt(r.nnspec.medianS, 3),
        fmt(r.nnspec.minS, 3),
        fmt(r.nnspec.peakMB, 1),
        fmt(r.timeRatio),
        fmt(r.memRatio),
      ]),
    ),
);
console.log('(ratios are nnspec / protoc; MB = 10^6 bytes; times are wall-clock seconds)');
console.log(`\nlinearity: nnspec µs/block  ${results.map((r) => `${r.blocks}: ${fmt(r.nnspecUsPerBlock, 1)}`).join('   ')}`);
for (const g of growth) {
  console.log(`  ${g.from} -> ${g.to} blocks: growth exponent ${fmt(g.exponent)} (1 = linear), marginal ${fmt(g.marginalUsPerBlock, 1)} µs/block`);
}
console.log('\ntargets:');
for (const t of Object.values(targets)) console.log(`  [${verdict(t.met)}] ${t.goal}`);

const resultsFile = join(OUT, 'results.json');
writeFileSync(
  resultsFile,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus()[0]?.model ?? 'unknown'} x${cpus().length}`,
      protoc: protocVersion,
      rssMethod,
      loadAverageAtStart: loadAtStart,
      results,
      growth,
      targets,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nresults written to ${resultsFile}`);
