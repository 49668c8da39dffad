/**
 * A minimal LSP client for the tests: spawns `node dist/cli/main.js lsp --stdio` and talks
 * JSON-RPC to it over the child's stdio with vscode-languageserver-protocol's own connection.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  PublishDiagnosticsNotification,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { ROOT } from '../helpers.js';

export interface Published {
  uri: string;
  version?: number;
  diagnostics: Diagnostic[];
}

export class LspClient {
  readonly child: ChildProcessWithoutNullStreams;
  readonly connection: ProtocolConnection;
  stderr = '';
  /** Diagnostics published so far, per document URI, oldest first. */
  private readonly published = new Map<string, Published[]>();
  private readonly waiters: { uri: string; seen: number; resolve: (p: Published) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor() {
    this.child = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'lsp', '--stdio'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    this.connection = createProtocolConnection(new StreamMessageReader(this.child.stdout), new StreamMessageWriter(this.child.stdin));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      const list = this.published.get(p.uri) ?? [];
      list.push(p);
      this.published.set(p.uri, list);
      for (const w of [...this.waiters]) {
        if (w.uri === p.uri && list.length > w.seen) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(list[w.seen]!);
        }
      }
    });
    this.connection.listen();
  }

  /** The next diagnostics published for `uri` after the `seen` already published. */
  nextDiagnostics(uri: string, seen = this.count(uri)): Promise<Published> {
    const list = this.published.get(uri) ?? [];
    if (list.length > seen) return Promise.resolve(list[seen]!);
    return new Promise((resolve) => this.waiters.push({ uri, seen, resolve }));
  }

  count(uri: string): number {
    return this.published.get(uri)?.length ?? 0;
  }

  dispose(): void {
    this.connection.dispose();
    if (this.child.exitCode === null) this.child.kill();
  }
}

export const fileUri = (rel: string) => pathToFileURL(join(ROOT, rel)).href;
