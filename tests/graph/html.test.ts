/**
 * The HTML page opened in headless Chromium (Debian's `chromium`; .ci/run installs it): the
 * inline SVG renders with one node per box, the table has one row per layer, the script joins
 * them (`page.html#layer` selects that layer's row and its box) and hostile names stay text.
 * Skipped, with the reason, where Chromium is not installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeHtml } from '../../src/backends/graph/html.js';
import { renderSvg } from '../../src/backends/graph/svg.js';
import { ROOT } from '../helpers.js';
import { decodeXml, draw, FIXTURES } from './graph-helpers.js';

const CHROMIUM = process.env.NNSPEC_CHROMIUM ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SKIP_REASON = `${CHROMIUM} is not installed (apt-get install -y chromium, as .ci/run does); the headless-browser checks of the HTML page are skipped`;
if (!HAS_CHROMIUM) console.warn(`[tests/graph/html.test.ts] skipped: ${SKIP_REASON}`);

async function page(file: string, options: { collapse?: boolean } = {}) {
  const { input, diagram, dot } = await draw(file, options);
  const html = writeHtml(input, diagram, await renderSvg(dot));
  const path = join(mkdtempSync(join(tmpdir(), 'nnspec-html-')), 'page.html');
  writeFileSync(path, html);
  return { input, diagram, html, path };
}

/** The DOM after the page's script ran (Chromium serialises it). */
function dom(path: string, hash = ''): string {
  const profile = mkdtempSync(join(tmpdir(), 'nnspec-chromium-'));
  const r = spawnSync(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--virtual-time-budget=3000', '--dump-dom', `${pathToFileURL(path).href}${hash}`],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0 || !r.stdout.includes('</html>')) throw new Error(`chromium failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

const nodeGroups = (html: string) => [...html.matchAll(/<g id="(n\d+)" class="node( selected)?">/g)];
const rows = (html: string) => [...html.matchAll(/<tr id="row-(\d+)" data-row="\d+"( class="selected")?>([\s\S]*?)<\/tr>/g)];
const firstCell = (row: string) => decodeXml(/<td>([^<]*)<\/td>/.exec(row)![1]!);

describe('the HTML page, without a browser', () => {
  it('is self-contained: no scripts, styles, fonts or images from anywhere, no URL at all', async () => {
    const { html } = await page(join(ROOT, 'specs/resnet18.nnspec'));
    expect(html).not.toMatch(/<script[^>]*\ssrc\s*=|<link\b|@import|url\(|https?:|\/\/[a-z]/i);
  });

  it('keeps hostile names as text (a name cannot end the script or add markup)', async () => {
    const { html, input } = await page(join(FIXTURES, 'hostile.prototxt'));
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toContain('<b>bold</b>');
    expect(rows(html).map((m) => firstCell(m[3]!))).toEqual(input.model.graph.nodes.map((n) => n.name));
  });
});

describe.skipIf(!HAS_CHROMIUM)(`the HTML page in headless Chromium${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  it('renders the SVG with one node per layer and the table with one row per layer (ResNet-18)', async () => {
    const { path, input } = await page(join(ROOT, 'specs/resnet18.nnspec'));
    const after = dom(path);
    // nnspec has no in-place layers: every layer is a box.
    expect(nodeGroups(after)).toHaveLength(input.model.graph.nodes.length);
    expect(rows(after)).toHaveLength(input.model.graph.nodes.length);
    expect(after).toContain('<svg');
  });

  it('collapsed: one node per block instance (ResNet-18: 5 stem layers, 8 blocks, pooling and fc)', async () => {
    const { path } = await page(join(ROOT, 'specs/resnet18.nnspec'), { collapse: true });
    expect(nodeGroups(dom(path))).toHaveLength(15);
  });

  it('selecting a layer highlights its row and the node it is drawn in; in-place layers share their producer\'s node', async () => {
    const { path, input, diagram } = await page(join(FIXTURES, 'inception.prototxt'));
    const after = dom(path, `#${encodeURIComponent('stem/relu')}`);
    // 22 layers, 9 of them in place (BatchNorm, Scale and 7 ReLUs; late/relu is not foldable).
    expect(rows(after)).toHaveLength(22);
    expect(nodeGroups(after)).toHaveLength(13);
    const selectedNodes = nodeGroups(after).filter((m) => m[2]);
    expect(selectedNodes.map((m) => m[1])).toEqual([diagram.boxes.find((b) => b.title === 'stem')!.id]);
    const selectedRows = rows(after).filter((m) => m[2]).map((m) => firstCell(m[3]!));
    expect(selectedRows).toEqual(['stem', 'stem/bn', 'stem/scale', 'stem/relu']);
    expect(input.model.graph.nodes).toHaveLength(22);
  });

  it('shows hostile names as text in the table and the diagram, and runs no injected script', async () => {
    const { path, input } = await page(join(FIXTURES, 'hostile.prototxt'));
    const after = dom(path, `#${encodeURIComponent('<b>bold</b> & <i>')}`);
    expect(rows(after).map((m) => firstCell(m[3]!))).toEqual(input.model.graph.nodes.map((n) => n.name));
    expect(after).not.toContain('<b>bold</b>');
    expect(after.match(/<script\b/g)).toHaveLength(2);
    expect(rows(after).filter((m) => m[2]).map((m) => firstCell(m[3]!))).toEqual(['<b>bold</b> & <i>']);
  });
});
