/**
 * @module report/junit
 * `--junit FILE`: the run's thresholds as JUnit XML, the format CI systems
 * (GitHub Actions reporters, GitLab, Jenkins, Azure) read. One testsuite per
 * run, one testcase per threshold; a failed blocking threshold is a
 * `<failure>` with the observed value, a failed non-blocking one is
 * `<skipped>` with the value (reported, never failing the build).
 */
import type { Summary } from './summary.js';

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text and attribute values; drops characters XML 1.0 forbids. */
function xml(value: string | number | boolean): string {
  return (
    String(value)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/[&<>"']/g, (ch) => XML_ENTITIES[ch] ?? ch)
  );
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${xml(v)}"`)
    .join('');
}

/** JUnit XML of a summary's thresholds. */
export function renderJunit(summary: Summary): string {
  const suiteName = `tokenstorm: ${summary.name}`;
  const failures = summary.thresholds.filter((t) => t.blocking && !t.passed).length;
  const skipped = summary.thresholds.filter((t) => !t.blocking && !t.passed).length;
  const tests = summary.thresholds.length;
  const time = summary.durationS.toFixed(3);
  const cases = summary.thresholds.map((t) => {
    // The exact observed value, as in summary.json: CI logs are read by people comparing numbers.
    const value = t.value === null ? 'n/a' : String(t.value);
    const head = `    <testcase${attrs({ name: `${t.metric}: ${t.expr}`, classname: `tokenstorm.thresholds.${summary.name}`, time: '0' })}>`;
    const detail = `${t.metric} ${t.expr}: observed ${value}${t.note === undefined ? '' : ` (${t.note})`}`;
    const out = `      <system-out>${xml(detail)}</system-out>`;
    if (t.passed) return `${head}\n${out}\n    </testcase>`;
    if (!t.blocking) {
      return `${head}\n      <skipped${attrs({ message: `non-blocking threshold failed: ${detail}` })}/>\n${out}\n    </testcase>`;
    }
    return (
      `${head}\n      <failure${attrs({ message: `threshold failed: ${detail}`, type: 'ThresholdFailed' })}>` +
      `${xml(`metric: ${t.metric}\nthreshold: ${t.expr}\nobserved: ${value}\n${t.note ?? ''}`.trimEnd())}</failure>\n${out}\n    </testcase>`
    );
  });
  const c = summary.counts;
  const props = [
    ['requests', c.requests],
    ['errors', c.errors],
    ['cancelled', c.cancelled],
    ['dropped', c.dropped],
    ['requests_per_s', summary.rates.requests_per_s],
    ['passed', String(summary.passed)],
  ]
    .map(([k, v]) => `      <property${attrs({ name: String(k), value: v ?? '' })}/>`)
    .join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'tokenstorm', tests, failures, errors: 0, skipped, time })}>`,
    `  <testsuite${attrs({ name: suiteName, tests, failures, errors: 0, skipped, time, timestamp: summary.startedAt.replace(/Z$/, '') })}>`,
    `    <properties>\n${props}\n    </properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
