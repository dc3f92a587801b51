// The node:test reporter of `make test-page`: what the tests print, a line per test as it ends
// (`ok - NAME (12.3 s)`, or `not ok - NAME` and its error), and a closing count of how many
// passed, failed and were skipped (--test-name-pattern skips the others). node sets the exit
// code itself: non-zero when any test or file failed.
import { inspect } from 'node:util';

export default async function* report(source) {
  const count = { passed: 0, failed: 0, skipped: 0 };
  for await (const { type, data } of source) {
    if (type === 'test:stdout' || type === 'test:stderr') {
      yield data.message;
    } else if (type === 'test:pass' && data.nesting === 0) {
      if (data.skip !== undefined) {
        count.skipped++;
      } else {
        count.passed++;
        yield `ok - ${data.name} (${(data.details.duration_ms / 1000).toFixed(1)} s)\n`;
      }
    } else if (type === 'test:fail' && data.nesting === 0) {
      // A failed test, or a file that could not run its tests at all.
      count.failed++;
      const error = data.details.error?.cause ?? data.details.error;
      yield `not ok - ${data.name}\n${typeof error === 'string' ? error : inspect(error)}\n`;
    }
  }
  yield `${count.passed} passed, ${count.failed} failed${count.skipped ? `, ${count.skipped} skipped` : ''}\n`;
}
