/**
 * `nnspec lsp --stdio` as an editor sees it: the real CLI spawned and driven over JSON-RPC
 * (tests/lsp/client.ts). Expected positions come from the test text itself, expected shapes
 * and receptive fields from `nnspec summary --format json`, expected formatting from
 * `nnspec fmt --stdout`.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeAction, Diagnostic, Hover, InitializeResult, MarkupContent, TextEdit } from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { cli, ROOT } from '../helpers.js';
import { fileUri, LspClient } from './client.js';

const LENET = 'specs/lenet.nnspec';
const RESNET = 'specs/torchvision/resnet18.nnspec';
const read = (rel: string) => readFileSync(`${ROOT}/${rel}`, 'utf8');

/** 0-based line and UTF-16 character of the `nth` occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string, nth = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' not in the text`);
  }
  const before = text.slice(0, at).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

interface SummaryLayer {
  name: string;
  type: string;
  outputs: { name: string; shape: (number | null)[] | null }[];
  params: number | null;
  rf: { size: number[]; stride: number[]; padding: number[] } | null;
}

function summaryLayers(rel: string): SummaryLayer[] {
  const r = cli(['summary', '--format', 'json', rel]);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { layers: SummaryLayer[] }).layers;
}

/** How a shape reads in the hover: its numbers in order, symbolic axes left open. */
function shapePattern(shape: (number | null)[]): RegExp {
  return new RegExp(shape.map((d) => (d === null ? '[^×| ]+' : String(d))).join('×'));
}

/**
 * Waits for an answer, sending an ignorable notification now and then: after a malformed
 * header, vscode-jsonrpc's reader leaves the rest of that input chunk unread until more
 * input arrives (an editor always sends more; a test has to).
 */
async function nudged<T>(answer: Promise<T>): Promise<T> {
  let settled = false;
  answer.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 50 && !settled; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!settled) await client.connection.sendNotification('$/nnspec-test/nudge', {});
  }
  return answer;
}

let client: LspClient;
let init: InitializeResult;

beforeAll(async () => {
  client = new LspClient();
  init = await client.connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  await client.connection.sendNotification('initialized', {});
});

afterAll(() => client?.dispose());

async function open(uri: string, text: string, languageId = 'nnspec') {
  const next = client.nextDiagnostics(uri);
  await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  return next;
}

async function hover(uri: string, position: { line: number; character: number }): Promise<Hover | null> {
  return client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position });
}

const hoverText = (h: Hover | null) => (h?.contents as MarkupContent).value;

const LEGACY = 'tests/lsp/fixtures/legacy-input.prototxt';

interface LintJson {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'note';
  code: string;
}

/** Diagnostics in `nnspec lint --format json`'s terms (1-based, end column exclusive). */
const asLintJson = (d: Diagnostic) => ({
  line: d.range.start.line + 1,
  column: d.range.start.character + 1,
  endLine: d.range.end.line + 1,
  endColumn: d.range.end.character + 1,
  severity: ({ 1: 'error', 2: 'warning', 3: 'note' } as const)[d.severity as 1 | 2 | 3],
  code: d.code,
});

describe('nnspec lsp', () => {
  it('advertises diagnostics, hover and formatting', () => {
    expect(init.capabilities.hoverProvider).toBe(true);
    expect(init.capabilities.documentFormattingProvider).toBe(true);
    expect(init.capabilities.textDocumentSync).toMatchObject({ openClose: true });
    expect(init.serverInfo?.name).toBe('nnspec');
  });

  it('publishes a broken spec’s problem at its place, and clears it once fixed', async () => {
    const uri = fileUri('tests/lsp/broken-lenet.nnspec');
    const good = read(LENET);
    const bad = good.replace('kernel: 5 }', 'kernl: 5 }');
    const first = await open(uri, bad);
    expect(first.diagnostics).toHaveLength(1);
    const d = first.diagnostics[0]!;
    const start = positionOf(bad, 'kernl');
    expect(d).toMatchObject({ code: 'nnspec/unknown-field', severity: 1, source: 'nnspec', range: { start, end: { line: start.line, character: start.character + 'kernl'.length } } });
    expect(d.message).toMatch(/kernl/);
    expect(d.message).toMatch(/did you mean 'kernel'/);

    const next = client.nextDiagnostics(uri);
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: good }] });
    expect(await next).toMatchObject({ version: 2, diagnostics: [] });
  });

  it('publishes only the last of several quick edits', async () => {
    const uri = fileUri('tests/lsp/typing.nnspec');
    const good = read(LENET);
    await open(uri, good);
    const next = client.nextDiagnostics(uri);
    const seen = client.count(uri);
    for (let v = 2; v <= 5; v++) {
      const text = v === 5 ? good.replace('out: 50', 'out: fifty') : good.replace('out: 50', `out: ${v}`);
      await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text }] });
    }
    const published = await next;
    expect(published.version).toBe(5);
    expect(published.diagnostics.length).toBeGreaterThan(0);
    expect(client.count(uri)).toBe(seen + 1);
  });

  it('gives a problem inside a block body the call site that reached it', async () => {
    const uri = fileUri('tests/lsp/related.nnspec');
    const text = ['nnspec: 1', 'name: rel', 'input { name: x shape: [1, 3, 8, 8] }', 'block {', '  name: Unit', '  args { k: required }', '  Conv { name: conv out: 4 kernel: $k }', '}', 'Unit { name: a k: 3 }', 'Unit { name: b k: 20 }', ''].join('\n');
    const { diagnostics } = await open(uri, text);
    const shape = diagnostics.filter((d) => d.code?.toString().startsWith('shape/'));
    expect(shape).toHaveLength(1);
    const d = shape[0]!;
    expect(d).toMatchObject({ code: 'shape/kernel-too-large', severity: 1 });
    expect(d.range.start).toEqual(positionOf(text, 'Conv {'));
    expect(d.relatedInformation?.map((r) => ({ uri: r.location.uri, start: r.location.range.start }))).toEqual([{ uri, start: positionOf(text, 'Unit { name: b') }]);
  });

  it('checks every net state of a Caffe train/val file, buffers without a file name included', async () => {
    const uri = 'untitled:Untitled-1';
    const text = [
      'name: "tv"',
      'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }',
      'layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 4 kernel_size: 3 } }',
      'layer { name: "aux" type: "ReLU" bottom: "labels" top: "aux" include { phase: TRAIN } }',
      'layer { name: "acc" type: "ReLU" bottom: "c" top: "acc" include { phase: TEST } }',
      '',
    ].join('\n');
    const { diagnostics } = await open(uri, text, 'prototxt');
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0]!;
    expect(d.code).toBe('graph/unknown-blob');
    expect(d.message).toMatch(/TRAIN/);
    expect(d.range.start).toEqual(positionOf(text, '"labels"'));
    // Hover finds layers of either phase (the TEST net is the one compiled first).
    expect(hoverText(await hover(uri, positionOf(text, 'name: "aux"')))).toContain('**aux** · `relu`');
    expect(hoverText(await hover(uri, positionOf(text, 'name: "acc"')))).toContain('**acc** · `relu`');
  });

  it('shows what `nnspec lint` reports, and offers its fixes as quick fixes', async () => {
    const uri = fileUri(LEGACY);
    const text = read(LEGACY);
    const { diagnostics } = await open(uri, text, 'prototxt');
    const cli_ = cli(['lint', '--format', 'json', LEGACY]);
    const expected = (JSON.parse(cli_.stdout) as LintJson[]).map(({ line, column, endLine, endColumn, severity, code }) => ({ line, column, endLine, endColumn, severity, code }));
    expect(expected.some((d) => d.code === 'style/legacy-net-input')).toBe(true);
    expect(diagnostics.map(asLintJson)).toEqual(expected);

    const legacy = diagnostics.find((d) => d.code === 'style/legacy-net-input')!;
    const actions: CodeAction[] = await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: legacy.range, context: { diagnostics: [legacy] } });
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ kind: 'quickfix', diagnostics: [legacy] });
    const fixed = TextDocument.applyEdits(TextDocument.create(uri, 'prototxt', 1, text), actions[0]!.edit!.changes![uri]!);
    const copy = join(mkdtempSync(join(tmpdir(), 'nnspec-lsp-')), 'net.prototxt');
    copyFileSync(join(ROOT, LEGACY), copy);
    expect(cli(['lint', '--fix', copy]).status).toBe(0);
    expect(fixed).toBe(readFileSync(copy, 'utf8'));
    // A problem without a fix gets no action.
    const other = { ...legacy, code: 'graph/unknown-blob' };
    expect(await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: legacy.range, context: { diagnostics: [other] } })).toEqual([]);
  });

  it('follows the nearest nnspec.config.json, and says when it cannot use it', async () => {
    const text = read(LEGACY);
    const strict = mkdtempSync(join(tmpdir(), 'nnspec-lsp-'));
    writeFileSync(join(strict, 'nnspec.config.json'), JSON.stringify({ rules: { 'style/legacy-net-input': 'error' } }));
    const inStrict = pathToFileURL(join(strict, 'models', 'net.prototxt')).href;
    const found = (await open(inStrict, text, 'prototxt')).diagnostics.find((d) => d.code === 'style/legacy-net-input');
    expect(found?.severity).toBe(1);

    const broken = mkdtempSync(join(tmpdir(), 'nnspec-lsp-'));
    writeFileSync(join(broken, 'nnspec.config.json'), JSON.stringify({ rules: { 'style/no-such-rule': 'off' } }));
    const inBroken = pathToFileURL(join(broken, 'net.prototxt')).href;
    const { diagnostics } = await open(inBroken, text.replace('bottom: "conv1"', 'bottom: "conv9"'), 'prototxt');
    const warning = diagnostics.find((d) => d.code === 'lint/config-unusable');
    expect(warning?.severity).toBe(2);
    expect(warning?.message).toContain(join(broken, 'nnspec.config.json'));
    expect(warning?.message).toContain('no-such-rule');
    // The check still runs; the rules do not.
    expect(diagnostics.map((d) => d.code)).toContain('graph/unknown-blob');
    expect(diagnostics.map((d) => d.code)).not.toContain('style/legacy-net-input');
  });

  it('hovers a conv layer with its output shape, parameters and receptive field', async () => {
    const uri = fileUri(LENET);
    const text = read(LENET);
    await open(uri, text);
    const conv2 = summaryLayers(LENET).find((l) => l.name === 'conv2')!;
    const h = await hover(uri, positionOf(text, 'name: conv2'));
    const value = hoverText(h);
    expect(value).toMatch(/\*\*conv2\*\* · `conv`/);
    expect(value).toMatch(shapePattern(conv2.outputs[0]!.shape!));
    const row = value.split('\n').find((l) => l.startsWith('| conv2 '))!;
    const cells = row.split('|').map((c) => c.trim()).filter(Boolean);
    expect(cells[3]!.replace(/,/g, '')).toBe(String(conv2.params));
    expect(cells.slice(5)).toEqual([String(conv2.rf!.size[0]), String(conv2.rf!.stride[0]), String(conv2.rf!.padding[0])]);
    const line = positionOf(text, 'Conv { name: conv2').line;
    expect(h!.range).toEqual({ start: { line, character: 0 }, end: { line, character: text.split('\n')[line]!.length } });
    // Outside any layer: nothing to show.
    expect(await hover(uri, positionOf(text, 'name: "LeNet"'))).toBeNull();
  });

  it('hovers a block body with every instance of the layer', async () => {
    const uri = fileUri(RESNET);
    const text = read(RESNET);
    await open(uri, text);
    const instances = summaryLayers(RESNET).filter((l) => /^layer\d\.\d\.conv1$/.test(l.name));
    expect(instances.length).toBeGreaterThan(1);
    const value = hoverText(await hover(uri, positionOf(text, 'Conv { name: conv1 out: $planes')));
    expect(value).toContain(`**${instances.length} instances**`);
    for (const l of instances) {
      const row = value.split('\n').find((r) => r.startsWith(`| ${l.name} `));
      expect(row, l.name).toMatch(shapePattern(l.outputs[0]!.shape!));
    }
  });

  it('formats as `nnspec fmt --stdout` does, and leaves a file with syntax errors alone', async () => {
    const uri = fileUri(LENET);
    const edits: TextEdit[] | null = await client.connection.sendRequest('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } });
    const expected = cli(['fmt', '--stdout', LENET]);
    expect(expected.status).toBe(0);
    const text = read(LENET);
    if (expected.stdout === text) expect(edits).toEqual([]);
    else {
      expect(edits).toHaveLength(1);
      const lines = text.split('\n');
      expect(edits![0]!.range).toEqual({ start: { line: 0, character: 0 }, end: { line: lines.length - 1, character: lines[lines.length - 1]!.length } });
      expect(edits![0]!.newText).toBe(expected.stdout);
    }

    const broken = fileUri('tests/lsp/unclosed.nnspec');
    await open(broken, 'nnspec: 1\nname: x\nConv { out: 3\n');
    expect(await client.connection.sendRequest('textDocument/formatting', { textDocument: { uri: broken }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
  });

  it('survives garbage and bad requests, keeps answering, and prints nothing to stderr', async () => {
    client.child.stdin.write('this is not a header\r\n\r\n');
    client.child.stdin.write('Content-Length: 7\r\n\r\n{oops!}');
    await expect(nudged(client.connection.sendRequest('nnspec/no-such-method', {}))).rejects.toThrow(/unhandled method|not found/i);
    expect(await hover('file:///nowhere/unopened.nnspec', { line: 0, character: 0 })).toBeNull();
    const uri = fileUri('tests/lsp/after-garbage.nnspec');
    await open(uri, read(LENET));
    expect(await hover(uri, { line: 10_000, character: 99 })).toBeNull();
    const binary = 'untitled:binary';
    const garbage = String.fromCharCode(...Array.from({ length: 2000 }, (_, i) => (i * 7919) % 0xd7ff));
    expect((await open(binary, garbage, 'prototxt')).diagnostics.length).toBeGreaterThan(0);
    expect(await hover(uri, positionOf(read(LENET), 'name: conv1'))).not.toBeNull();
    expect(client.child.exitCode).toBeNull();
    expect(client.stderr).toBe('');
  });

  it('shuts down and exits with 0', async () => {
    await client.connection.sendRequest('shutdown');
    await client.connection.sendNotification('exit');
    expect(await client.exited).toBe(0);
    expect(client.stderr).toBe('');
  });
});
