/**
 * GitHub Actions workflow commands, one per problem, which GitHub shows as annotations on the
 * pull request: `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`.
 * Escaping follows the runner's rules (actions/toolkit, command.ts): in the message %, CR and
 * LF are percent-encoded; in properties also ':' and ','.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { toJson } from '../../diagnostics/format.js';

const LEVEL = { error: 'error', warning: 'warning', note: 'notice' } as const;

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatGithub(diagnostics: readonly Diagnostic[]): string {
  let out = '';
  for (const d of diagnostics) {
    const j = toJson(d);
    const props = [
      `file=${escapeProperty(j.file)}`,
      `line=${j.line}`,
      `col=${j.column}`,
      `endLine=${j.endLine}`,
      `endColumn=${j.endColumn}`,
      `title=${escapeProperty(`nnspec ${j.code}`)}`,
    ].join(',');
    const message = j.hint ? `${j.message} (${j.hint})` : j.message;
    out += `::${LEVEL[d.severity]} ${props}::${escapeData(message)}\n`;
  }
  return out;
}
