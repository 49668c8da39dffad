/**
 * The language server behind `nnspec lsp --stdio`: diagnostics as you type (what `nnspec
 * lint` reports for the unsaved text, every net state of a Caffe train_val file included),
 * its fixes as quick fixes, hover with a layer's shapes, parameters and receptive field, and
 * formatting through the prettier plugin.
 *
 * Only this module (loaded lazily by the `lsp` command) imports vscode-languageserver.
 * stdout carries the protocol: nothing else may write there, so console output is sent to
 * the editor's log instead, and no failure in a handler reaches stderr as a stack trace.
 */
import {
  CodeActionKind,
  createConnection,
  DiagnosticSeverity,
  ErrorCodes,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CompileOptions } from '../compile.js';
import type { TextEdit } from '../lint/rule.js';
import { checkDocument } from './check.js';
import { spanRange, toLspDiagnostic } from './diagnostics.js';
import { documentDialect, documentPath } from './documents.js';
import { formatDocument, FormatProblem } from './format.js';
import { forgetDocument, hoverAt } from './hover.js';

/** Typing pauses shorter than this do not start a compile. */
export const DEBOUNCE_MS = 150;

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Sends console output to the editor's log: stdout is the protocol's. */
function redirectConsole(connection: Connection): void {
  const log = (...args: unknown[]) => connection.console.log(args.map(String).join(' '));
  console.log = log;
  console.info = log;
  console.debug = log;
  console.warn = (...args: unknown[]) => connection.console.warn(args.map(String).join(' '));
  console.error = (...args: unknown[]) => connection.console.error(args.map(String).join(' '));
}

/** Runs the server until the client says exit (or closes the pipe); resolves never before that. */
export function startServer(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<number> {
  const connection = createConnection(input, output);
  redirectConsole(connection);
  // A bug in a handler must not kill the editor's server, nor print a trace where the editor shows stderr.
  process.on('uncaughtException', (e) => connection.console.error(`nnspec: internal error: ${describeError(e)}`));
  process.on('unhandledRejection', (e) => connection.console.error(`nnspec: internal error: ${describeError(e)}`));

  const documents = new TextDocuments(TextDocument);
  const timers = new Map<string, NodeJS.Timeout>();

  const options = (doc: TextDocument): CompileOptions => {
    const dialect = documentDialect(doc);
    return dialect ? { dialect } : {};
  };

  /** The fixes rules offered with the diagnostics last published, per document. */
  const fixes = new Map<string, { version: number; items: { diagnostic: LspDiagnostic; edits: TextEdit[]; title: string }[] }>();

  async function validate(uri: string): Promise<void> {
    const doc = documents.get(uri);
    if (!doc) return;
    const version = doc.version;
    let diagnostics: LspDiagnostic[];
    const items: { diagnostic: LspDiagnostic; edits: TextEdit[]; title: string }[] = [];
    try {
      const checked = await checkDocument(documentPath(uri), doc.getText(), options(doc), uri.startsWith('file:'));
      diagnostics = checked.diagnostics.map((d) => {
        const lsp = toLspDiagnostic(doc, d);
        const edits = checked.fixes.get(d);
        if (edits) items.push({ diagnostic: lsp, edits, title: `Fix: ${d.message}` });
        return lsp;
      });
      if (checked.configProblem) diagnostics.unshift({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Warning, code: 'lint/config-unusable', source: 'nnspec', message: checked.configProblem });
    } catch (e) {
      connection.console.error(`nnspec: checking ${uri} failed: ${describeError(e)}`);
      diagnostics = [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Error, code: 'general/internal-error', source: 'nnspec', message: `nnspec could not check this file: ${describeError(e)}; this is a bug in nnspec` }];
    }
    // A newer edit arrived while this one compiled: its own run publishes.
    if (documents.get(uri)?.version !== version) return;
    fixes.set(uri, { version, items });
    await connection.sendDiagnostics({ uri, version, diagnostics });
  }

  /** One check per document at a time; an edit made meanwhile runs one more when it ends. */
  const running = new Set<string>();
  const rerun = new Set<string>();

  async function validateOnce(uri: string): Promise<void> {
    if (running.has(uri)) {
      rerun.add(uri);
      return;
    }
    running.add(uri);
    try {
      await validate(uri);
    } finally {
      running.delete(uri);
      if (rerun.delete(uri)) schedule(uri, 0);
    }
  }

  function schedule(uri: string, delay: number): void {
    clearTimeout(timers.get(uri));
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        void validateOnce(uri);
      }, delay),
    );
  }

  connection.onInitialize(
    (): InitializeResult => ({
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: 'nnspec' },
    }),
  );

  // Opening shows problems at once; edits wait for a pause in typing.
  const open = new Set<string>();
  documents.onDidChangeContent((e) => {
    const uri = e.document.uri;
    schedule(uri, open.has(uri) ? DEBOUNCE_MS : 0);
    open.add(uri);
  });
  documents.onDidClose((e) => {
    const uri = e.document.uri;
    open.delete(uri);
    fixes.delete(uri);
    forgetDocument(uri);
    clearTimeout(timers.get(uri));
    timers.delete(uri);
    void connection.sendDiagnostics({ uri, diagnostics: [] });
  });

  connection.onHover(async ({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return null;
    try {
      return await hoverAt(doc, documentPath(doc.uri), doc.offsetAt(position), options(doc));
    } catch (e) {
      connection.console.error(`nnspec: hover in ${doc.uri} failed: ${describeError(e)}`);
      return null;
    }
  });

  // The fixes `nnspec lint --fix` would apply, offered on the problems they fix.
  connection.onCodeAction(({ textDocument, context }) => {
    const doc = documents.get(textDocument.uri);
    const offered = fixes.get(textDocument.uri);
    if (!doc || !offered || offered.version !== doc.version) return [];
    const same = (a: LspDiagnostic, b: LspDiagnostic) =>
      a.code === b.code && a.message === b.message && a.range.start.line === b.range.start.line && a.range.start.character === b.range.start.character && a.range.end.line === b.range.end.line && a.range.end.character === b.range.end.character;
    const actions: CodeAction[] = [];
    for (const asked of context.diagnostics) {
      const item = offered.items.find((i) => same(i.diagnostic, asked));
      if (!item) continue;
      actions.push({
        title: item.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [asked],
        isPreferred: true,
        edit: { changes: { [doc.uri]: item.edits.map((e) => ({ range: spanRange(doc, e), newText: e.text })) } },
      });
    }
    return actions;
  });

  connection.onDocumentFormatting(async ({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return null;
    try {
      return await formatDocument(doc, documentPath(doc.uri), documentDialect(doc));
    } catch (e) {
      if (e instanceof FormatProblem) return new ResponseError(ErrorCodes.InvalidParams, e.message);
      connection.console.error(`nnspec: formatting ${doc.uri} failed: ${describeError(e)}`);
      return new ResponseError(ErrorCodes.InternalError, `nnspec could not format this file: ${describeError(e)}`);
    }
  });

  documents.listen(connection);
  connection.listen();
  // The connection exits the process itself on `exit` (0 after `shutdown`, 1 otherwise, as LSP asks).
  return new Promise<number>(() => {});
}
