/**
 * `nnspec eval` and `nnspec predict` through the built CLI (dist/cli/main.js): options, exit
 * codes and output streams. Skipped, with the reason, until main.ts registers the commands.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../src/weights/index.js';
import { pngBytes } from '../data/write-fixtures.js';
import { cli, STACK_TRACE } from '../helpers.js';

const registered = ['eval', 'predict'].every((command) => cli([command, '--help']).stdout.startsWith(`Usage: nnspec ${command} `));
if (!registered) console.warn('[cli/eval-cli] skipped: `nnspec eval` / `nnspec predict` are not registered in src/cli/main.ts (or dist/ is not built)');

const TMP = mkdtempSync(join(tmpdir(), 'nnspec-eval-cli-'));
const LENET = 'specs/lenet.nnspec';

/** LeNet's state_dict with small deterministic values: `shapes` overrides some shapes. */
function weights(name: string, shapes: Record<string, number[]> = {}): string {
  const base: Record<string, number[]> = { 'conv1.weight': [20, 1, 5, 5], 'conv1.bias': [20], 'conv2.weight': [50, 20, 5, 5], 'conv2.bias': [50], 'ip1.weight': [500, 800], 'ip1.bias': [500], 'ip2.weight': [10, 500], 'ip2.bias': [10] };
  const tensors = Object.entries({ ...base, ...shapes }).map(([key, shape], k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { key, shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(k * 7919 + i) * 0.05) };
  });
  const path = join(TMP, name);
  writeFileSync(path, writeSafetensors(tensors));
  return path;
}

describe.skipIf(!registered)('nnspec eval / predict on the command line', () => {
  it('evaluates and prints JSON on stdout', () => {
    const r = cli(['eval', LENET, '--weights', weights('ok.safetensors'), '--data', 'synthetic:32', '--threads', '2', '-f', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as { examples: number; classes: number; top1: number; loss: number };
    expect(result.examples).toBe(32);
    expect(result.classes).toBe(10);
    expect(result.top1).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(result.loss)).toBe(true);
  });

  it('predicts with --top and --batch-size', () => {
    const png = join(TMP, 'x.png');
    writeFileSync(png, pngBytes(28, 28, Array.from({ length: 784 }, (_, i) => [i % 256, i % 256, i % 256, 255]).flat()));
    const r = cli(['predict', LENET, png, png, '--weights', weights('ok2.safetensors'), '--top', '2', '--batch-size', '1', '--threads', '2']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    // The backend, then per input its name and two classes.
    expect(lines).toHaveLength(7);
    expect(lines[1]).toBe(png);
    expect(lines[2]).toMatch(/^\s+\d+\.\d\d%\s+\d$/);
    expect(lines.slice(4)).toEqual(lines.slice(1, 4));
  });

  it('exits 1 for weights that do not fit, 2 for unreadable files and bad usage, without a stack trace', () => {
    const wrong = cli(['eval', LENET, '--weights', weights('wrong.safetensors', { 'ip1.weight': [500, 801] }), '--data', 'synthetic:8']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("'ip1.weight' is [500, 801]");
    for (const args of [
      ['eval', LENET, '--weights', join(TMP, 'absent.safetensors'), '--data', 'synthetic:8'],
      ['eval', LENET, '--data', 'synthetic:8'],
      ['eval', LENET, '--weights', weights('ok3.safetensors')],
      ['eval', LENET, '--weights', weights('ok4.safetensors'), '--data', 'synthetic:8', '--split', 'validation'],
      ['predict', LENET, '--weights', weights('ok5.safetensors')],
      ['predict', LENET, join(TMP, 'absent.png'), '--weights', weights('ok6.safetensors')],
    ]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).not.toMatch(STACK_TRACE);
    }
  });
});
