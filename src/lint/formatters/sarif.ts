/**
 * SARIF 2.1.0 (OASIS), the format code-scanning services read: one run whose tool lists every
 * rule with its help text, and one result per problem. Check diagnostics that are not lint
 * rules (caffe/…, shape/…) are listed as rules of their own, so that every result's ruleId
 * resolves.
 */
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { toJson } from '../../diagnostics/format.js';
import type { LintResult } from '../lint.js';
import type { Rule } from '../rule.js';
import { RULES } from '../rules/index.js';

const VERSION = '0.1.0';
/** The rule catalogue; each rule's section is at `#${anchor(id)}` (scripts/generate-rules.mjs writes it). */
export const DOCS = 'https://github.com/nnspec/nnspec/blob/main/docs/rules.md';
const LEVEL = { error: 'error', warning: 'warning', note: 'note' } as const;

/** A rule's anchor in docs/rules.md: GitHub's slug of its heading (the id, '/' dropped). */
export function anchor(id: string): string {
  return id.replace(/[^a-z0-9-]/g, '');
}

function ruleDescriptor(rule: Rule<never>) {
  const m = rule.meta;
  const refs = m.references.map((r) => `- ${r.title}: ${r.url}`).join('\n');
  return {
    id: m.id,
    name: m.id.split('/')[1]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
    shortDescription: { text: m.description },
    fullDescription: { text: m.explanation },
    help: { text: `${m.explanation}\n\n${refs}`, markdown: `${m.explanation}\n\n${refs}` },
    helpUri: `${DOCS}#${anchor(m.id)}`,
    defaultConfiguration: { level: m.recommended === 'error' ? 'error' : m.recommended === 'warn' ? 'warning' : 'none', enabled: m.recommended !== 'off' },
    properties: { category: m.category as string, tags: [m.category as string], fixable: m.fixable },
  };
}

export function formatSarif(results: readonly LintResult[], cwd = process.cwd()) {
  const rules = RULES.map(ruleDescriptor);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const extra = (d: Diagnostic) => {
    if (!index.has(d.code)) {
      index.set(d.code, rules.length);
      rules.push({
        id: d.code,
        name: d.code.replace(/[^A-Za-z0-9]+([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase()),
        shortDescription: { text: `nnspec check: ${d.code}` },
        fullDescription: { text: 'A problem nnspec check finds while reading and binding the model (see the README).' },
        help: { text: 'Reported by nnspec check; see the message.', markdown: 'Reported by `nnspec check`; see the message.' },
        helpUri: DOCS,
        defaultConfiguration: { level: LEVEL[d.severity], enabled: true },
        properties: { category: d.code.split('/')[0]!, tags: ['check'], fixable: false },
      });
    }
    return index.get(d.code)!;
  };
  const out = [];
  for (const result of results) {
    for (const d of result.diagnostics) {
      const j = toJson(d);
      const uri = relative(cwd, d.source.path).split('\\').join('/');
      out.push({
        ruleId: d.code,
        ruleIndex: extra(d),
        level: LEVEL[d.severity],
        message: { text: j.hint ? `${j.message} (${j.hint})` : j.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: uri.startsWith('..') ? pathToFileURL(d.source.path).href : uri, ...(uri.startsWith('..') ? {} : { uriBaseId: '%SRCROOT%' }) },
              region: { startLine: j.line, startColumn: j.column, endLine: j.endLine, endColumn: Math.max(j.endColumn, j.line === j.endLine ? j.column : 1) },
            },
          },
        ],
      });
    }
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'nnspec', version: VERSION, semanticVersion: VERSION, informationUri: 'https://github.com/nnspec/nnspec', rules } },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(`${cwd}/`).href } },
        results: out,
      },
    ],
  };
}
