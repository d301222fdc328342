/** JUnit totals by a tolerant attribute scan (SPEC §11.6): no XML dependency. */
export interface JunitTotals {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

const attr = (tag: string, name: string) => Number(tag.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0);

export function junitTotals(xml: string): JunitTotals {
  const suites = xml.match(/<testsuites\b[^>]*>/);
  if (suites && /\btests="\d+"/.test(suites[0])) {
    const t = suites[0];
    return {
      tests: attr(t, "tests"),
      failures: attr(t, "failures"),
      errors: attr(t, "errors"),
      skipped: attr(t, "skipped"),
    };
  }
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const [tag] of xml.matchAll(/<testsuite\b[^>]*>/g)) {
    totals.tests += attr(tag, "tests");
    totals.failures += attr(tag, "failures");
    totals.errors += attr(tag, "errors");
    totals.skipped += attr(tag, "skipped") + attr(tag, "disabled");
  }
  return totals;
}

export function addTotals(a: JunitTotals, b: JunitTotals): JunitTotals {
  return {
    tests: a.tests + b.tests,
    failures: a.failures + b.failures,
    errors: a.errors + b.errors,
    skipped: a.skipped + b.skipped,
  };
}
