import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SUBGRAPHS } from '../scripts/services.ts';

/**
 * The observability stack's configuration (deploy/observability): every file parses, alert rules are complete,
 * and every series an alert or a dashboard queries is one a service exports, so a renamed metric cannot leave
 * a silent dashboard or an alert that never fires. (promtool checks the rules too where it is installed: .ci/run.)
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = `${root}deploy/observability/`;
const read = (path: string) => readFileSync(path, 'utf8');

/** Metric names the services define (prom-client series names; histograms add _bucket/_sum/_count). */
function exportedMetrics(): Set<string> {
  const sources = ['packages/kit/src', 'router/src', ...SUBGRAPHS.map((s) => `subgraphs/${s.name}/src`)];
  const names = new Set<string>();
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(`${path}/${entry.name}`);
      else if (entry.name.endsWith('.ts')) for (const match of read(`${path}/${entry.name}`).matchAll(/'(shopgraph_[a-z_]+)'/g)) names.add(match[1]!);
    }
  };
  for (const source of sources) walk(`${root}${source}`);
  for (const name of [...names]) for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  // prom-client's runtime defaults, with the kit's prefix.
  for (const name of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) names.add(`shopgraph_${name}`);
  return names;
}

const queried = (expr: string) => [...expr.matchAll(/\b(shopgraph_[a-z0-9_]+)/g)].map((m) => m[1]!);

describe('observability configuration', () => {
  const metrics = exportedMetrics();

  it('every YAML file parses', () => {
    for (const file of ['otel-collector.yaml', 'prometheus.yml', 'alerts.yml', 'loki.yaml', 'promtail.yaml', 'grafana/provisioning/datasources/datasources.yaml', 'grafana/provisioning/dashboards/dashboards.yaml']) {
      expect(() => parse(read(`${dir}${file}`)), file).not.toThrow();
    }
  });

  it('alert rules are complete and query exported series', () => {
    const { groups } = parse(read(`${dir}alerts.yml`)) as { groups: Array<{ name: string; rules: Array<Record<string, unknown>> }> };
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['RouterErrorRateHigh', 'CheckoutSagaStuck', 'QueueBacklogGrowing', 'OutboxLagHigh', 'DeadLetterGrowth']));
    for (const rule of rules) {
      expect(rule, String(rule.alert)).toMatchObject({ alert: expect.any(String), expr: expect.any(String), for: expect.any(String), labels: { severity: expect.any(String) }, annotations: { summary: expect.any(String) } });
      for (const name of queried(String(rule.expr))) expect(metrics, `${String(rule.alert)} queries ${name}`).toContain(name);
    }
  });

  it('Prometheus scrapes every subgraph on its port and the router on its metrics port', () => {
    const config = parse(read(`${dir}prometheus.yml`)) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    const targets = config.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    for (const subgraph of SUBGRAPHS) expect(targets).toContain(`${subgraph.name}:${subgraph.port}`);
    expect(targets).toContain('router:9464');
  });

  it('dashboards are valid JSON with unique ids, and query exported series only', () => {
    const files = readdirSync(`${dir}grafana/dashboards`).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(['checkout.json', 'overview.json', 'queues.json', 'subscriptions-notifications.json']);
    const uids = new Set<string>();
    for (const file of files) {
      const board = JSON.parse(read(`${dir}grafana/dashboards/${file}`)) as { uid: string; panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
      expect(uids.has(board.uid)).toBe(false);
      uids.add(board.uid);
      expect(board.panels.length).toBeGreaterThan(0);
      for (const panel of board.panels) {
        for (const target of panel.targets) {
          const names = queried(target.expr);
          expect(names.length, `${file}: ${panel.title}`).toBeGreaterThan(0);
          for (const name of names) expect(metrics, `${file}: ${panel.title} queries ${name}`).toContain(name);
        }
      }
    }
  });
});
