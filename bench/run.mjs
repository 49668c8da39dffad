#!/usr/bin/env node
// Benchmark: `nnspec check` and `nnspec summary` against `protoc --encode` on deep residual
// Caffe prototxt files.
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

// The targets the output is judged against (reported, never enforced), for each nnspec command.
const TARGET_TIME_RATIO = 0.5; // nnspec median time <= 0.5 x protoc median time
const TARGET_MEM_RATIO = 1.0; // nnspec peak RSS <= protoc peak RSS
const TARGET_GROWTH_EXPONENT = 1.1; // time ~ blocks^k between consecutive sizes, k <= 1.1

// The nnspec commands measured against protoc. `args` builds the command line for a file;
// `stdout` says how runOnce treats its output (see there); `verify` throws when a run that
// exited 0 still did not do its job, so that a broken build cannot pass as a fast one.
const NNSPEC_COMMANDS = [
  {
    name: 'check',
    args: (file) => ['check', '--no-color', file],
    stdout: 'capture', // a few lines
    verify(run, file) {
      if (!/\b0 errors\b/.test(run.stdout)) throw new Error(`nnspec check reported problems on ${file}:\n${run.stdout.slice(0, 2000)}`);
    },
  },
  {
    name: 'summary',
    // The default table format: one row per layer, so the output grows with the file (about
    // 0.43 MB per 1000 blocks) and is not kept. The totals, with 'Params:', come after every
    // row, so finding them shows that the whole table was written.
    args: (file) => ['summary', '--no-color', file],
    stdout: { find: 'Params:' },
    verify(run, file) {
      if (!run.found) throw new Error(`nnspec summary printed no 'Params:' totals for ${file}; its output began:\n${run.stdout}`);
    },
  },
];

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
 * Runs `cmd args` once in the repo root, with stdin from `stdinPath` (or nothing). `stdout` is
 * 'ignore' (/dev/null), 'capture' (piped and kept, for short outputs), or { find: 'text' }
 * (for long outputs): written to a scratch file, which after the exit is searched for `text`
 * and deleted. Not a pipe there: Node writes to a pipe differently from a file, and `nnspec
 * summary` then peaks ~10% lower (10 000 blocks: 96 MB piped, 108 MB to a file or /dev/null),
 * so a pipe would flatter the RSS that `> /dev/null` gives. Returns { seconds, peakKB, stdout
 * (whole, or the first 2000 characters with `find`), stdoutBytes, found }; throws when the
 * command exits non-zero. Wall time is taken here, before the search; peak RSS comes from GNU
 * time when present.
 */
async function runOnce(cmd, args, { stdinPath, stdout: stdoutMode = 'ignore' } = {}) {
  const timeFile = join(scratch, 'time.txt');
  const stdoutFile = join(scratch, 'stdout.txt');
  const [file, argv] = useGnuTime ? [GNU_TIME, ['-f', '%M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const stdinFd = stdinPath ? openSync(stdinPath, 'r') : 'ignore';
  const stdoutFd = stdoutMode === 'ignore' ? 'ignore' : stdoutMode === 'capture' ? 'pipe' : openSync(stdoutFile, 'w');
  const started = process.hrtime.bigint();
  const child = spawn(file, argv, { cwd: ROOT, stdio: [stdinFd, stdoutFd, 'pipe'] });
  let stdout = '';
  let stdoutBytes = 0;
  let stderr = '';
  child.stdout?.on('data', (d) => ((stdout += d), (stdoutBytes += d.length)));
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
  let found = null;
  if (typeof stdoutFd === 'number') {
    closeSync(stdoutFd);
    const written = readFileSync(stdoutFile);
    rmSync(stdoutFile); // ~20 MB at 50 000 blocks, and /tmp may be held in memory
    [stdout, stdoutBytes, found] = [written.subarray(0, 2000).toString(), written.length, written.includes(stdoutMode.find)];
  }
  if (code !== 0) {
    const output = `${stdout.slice(0, 2000)}\n${stderr.slice(0, 2000)}`.trim();
    throw new Error(`'${[cmd, ...args].join(' ')}' exited with ${signal ?? code}\n${output}`);
  }
  const peakKB = useGnuTime ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) : polledKB;
  return { seconds, peakKB: Number.isFinite(peakKB) ? peakKB : null, stdout, stdoutBytes, found };
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

/** A plain-text table; the columns in `left` (text) are left-aligned, the rest (numbers) right-aligned. */
function table(header, rows, left = [0]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
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

/** Generates the N-block file if needed and measures protoc and every nnspec command on it. */
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

  // One task per tool; each round runs every task once.
  const tasks = [
    ...(protocVersion ? [{ name: 'protoc', run: () => runOnce('protoc', ['--encode=caffe.NetParameter', PROTO], { stdinPath: file }) }] : []),
    ...NNSPEC_COMMANDS.map((c) => ({
      name: c.name,
      run: async () => {
        const run = await runOnce(process.execPath, [CLI, ...c.args(file)], { stdout: c.stdout });
        c.verify(run, file);
        return run;
      },
    })),
  ];
  const samples = Object.fromEntries(tasks.map((t) => [t.name, []]));
  for (let r = 0; r < runs; r++) {
    // Interleave the tools so that drift in machine load hits all alike, and start each round
    // one tool later so that no tool always runs right after the same neighbour (a summary
    // run, for one, leaves ~20 MB of just-written file data behind it at 50 000 blocks).
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[(i + r) % tasks.length];
      samples[task.name].push(await task.run());
    }
    process.stdout.write('.');
  }
  console.log(' done');

  const protoc = protocVersion ? summarize(samples.protoc) : null;
  const commands = Object.fromEntries(
    NNSPEC_COMMANDS.map(({ name }) => {
      const stats = summarize(samples[name]);
      return [
        name,
        {
          ...stats,
          stdoutBytes: samples[name].at(-1).stdoutBytes, // the same every run
          timeRatio: protoc ? stats.medianS / protoc.medianS : null,
          memRatio: protoc?.peakMB && stats.peakMB ? stats.peakMB / protoc.peakMB : null,
          usPerBlock: (stats.medianS / blocks) * 1e6,
        },
      ];
    }),
  );
  const { check } = commands;
  return {
    blocks,
    fileBytes,
    protoc,
    commands,
    // The fields from before `summary` was measured, all about `nnspec check`, kept so that
    // readers of older results.json files keep working.
    nnspec: summarize(samples.check),
    timeRatio: check.timeRatio,
    memRatio: check.memRatio,
    nnspecUsPerBlock: check.usPerBlock,
  };
}

try {
  for (const blocks of sizes) results.push(await measureSize(blocks));
} catch (err) {
  console.log();
  fail(err.message); // a command failed: report it and exit non-zero
}

// Growth exponent k between consecutive sizes: time ratio = (blocks ratio)^k; k = 1 is linear.
const growthOf = (name) =>
  results.slice(1).map((cur, i) => {
    const prev = results[i];
    const [t1, t2] = [prev.commands[name].medianS, cur.commands[name].medianS];
    return {
      from: prev.blocks,
      to: cur.blocks,
      exponent: Math.log(t2 / t1) / Math.log(cur.blocks / prev.blocks),
      marginalUsPerBlock: ((t2 - t1) / (cur.blocks - prev.blocks)) * 1e6,
    };
  });

const all = (xs) => (xs.some((x) => x === null) ? null : xs.every(Boolean));
const byCommand = Object.fromEntries(
  NNSPEC_COMMANDS.map(({ name, args }) => {
    const growth = growthOf(name);
    const per = results.map((r) => r.commands[name]);
    const targets = {
      time: {
        goal: `nnspec ${name} median time <= ${TARGET_TIME_RATIO} x protoc median time, at every size`,
        met: all(per.map((c) => (c.timeRatio === null ? null : c.timeRatio <= TARGET_TIME_RATIO))),
      },
      memory: {
        goal: `nnspec ${name} peak RSS <= protoc peak RSS, at every size`,
        met: all(per.map((c) => (c.memRatio === null ? null : c.memRatio <= TARGET_MEM_RATIO))),
      },
      linear: {
        goal: `nnspec ${name} time grows linearly: growth exponent <= ${TARGET_GROWTH_EXPONENT} between consecutive sizes`,
        met: growth.length ? growth.every((g) => g.exponent <= TARGET_GROWTH_EXPONENT) : null,
      },
    };
    return [name, { commandLine: ['node', CLI, ...args('FILE')].join(' '), growth, targets }];
  }),
);

// One row per tool and size (rather than columns per tool), so the table stays readable as
// commands are added. Ratios are against the protoc row of the same size.
console.log(
  '\n' +
    table(
      ['blocks', 'file MB', 'command', 'med s', 'min s', 'peak MB', 'time ratio', 'mem ratio'],
      results.flatMap((r) => {
        const size = [String(r.blocks), fmt(r.fileBytes / 1e6)];
        const rows = r.protoc ? [['protoc', fmt(r.protoc.medianS, 3), fmt(r.protoc.minS, 3), fmt(r.protoc.peakMB, 1), '', '']] : [];
        for (const [name, c] of Object.entries(r.commands)) {
          rows.push([`nnspec ${name}`, fmt(c.medianS, 3), fmt(c.minS, 3), fmt(c.peakMB, 1), fmt(c.timeRatio), fmt(c.memRatio)]);
        }
        return rows.map((row, i) => [...(i === 0 ? size : ['', '']), ...row]);
      }),
      [0, 2],
    ),
);
console.log('(ratios are nnspec / protoc; MB = 10^6 bytes; times are wall-clock seconds)');
console.log('\nlinearity:');
const nameWidth = Math.max(...NNSPEC_COMMANDS.map((c) => c.name.length));
for (const [name, { growth }] of Object.entries(byCommand)) {
  console.log(`  nnspec ${name.padEnd(nameWidth)}  µs/block  ${results.map((r) => `${r.blocks}: ${fmt(r.commands[name].usPerBlock, 1)}`).join('   ')}`);
  for (const g of growth) {
    console.log(`    ${g.from} -> ${g.to} blocks: growth exponent ${fmt(g.exponent)} (1 = linear), marginal ${fmt(g.marginalUsPerBlock, 1)} µs/block`);
  }
}
console.log('\ntargets:');
for (const { targets } of Object.values(byCommand)) {
  for (const t of Object.values(targets)) console.log(`  [${verdict(t.met)}] ${t.goal}`);
}

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
      commands: byCommand,
      // As before `summary` was measured: `nnspec check` only, the same as commands.check.
      growth: byCommand.check.growth,
      targets: byCommand.check.targets,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nresults written to ${resultsFile}`);
