import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, Registry } from '../src/metrics.ts';

describe('Prometheus text format', () => {
  it('renders HELP, TYPE and samples with sorted, escaped labels', () => {
    const r = new Registry();
    const c = r.register(new Counter('x_total', 'X.'));
    c.inc({ route: '/a', code: '500' });
    c.inc({ code: '500', route: '/a' }, 2);
    r.register(new Gauge('g', 'G "quoted".', 3)).inc({ path: 'a"b\\c' });
    const text = r.render();
    expect(text).toContain('# HELP x_total X.\n# TYPE x_total counter\nx_total{code="500",route="/a"} 3\n');
    expect(text).toContain('g 3\n');
    expect(text).toContain('g{path="a\\"b\\\\c"} 1\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('counts histogram observations cumulatively per bucket, with _sum and _count', () => {
    const h = new Histogram('d_seconds', 'D.', [0.1, 1]);
    h.observe(0.05, { route: '/r' });
    h.observe(0.5, { route: '/r' });
    h.observe(3, { route: '/r' });
    const lines = h.render();
    expect(lines).toEqual([
      'd_seconds_bucket{route="/r",le="0.1"} 1',
      'd_seconds_bucket{route="/r",le="1"} 2',
      'd_seconds_bucket{route="/r",le="+Inf"} 3',
      'd_seconds_sum{route="/r"} 3.55',
      'd_seconds_count{route="/r"} 3',
    ]);
  });

  it('refuses a decreasing counter, unsorted buckets and a metric registered twice', () => {
    expect(() => new Counter('c', 'c').inc({}, -1)).toThrow(/cannot decrease/);
    expect(() => new Histogram('h', 'h', [1, 0.5])).toThrow(/must increase/);
    const r = new Registry();
    r.register(new Gauge('g', 'g'));
    expect(() => r.register(new Gauge('g', 'g'))).toThrow(/twice/);
  });
});
