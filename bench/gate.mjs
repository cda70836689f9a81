// The gate of `npm run bench`: what each row's result means and the exit code of the run.
// Its own module so that a vitest test can check it without running the (slow) bench.

/**
 * A row's `pass`: true (PASS) or false (FAIL) for a gated row; null for an information row;
 * a string for a gated row that could not run (`"skipped: <why>"`, e.g. a missing tool).
 * @typedef {{ name: string, pass: boolean | null | string }} Row
 */

/**
 * The result column of a row.
 * @param {boolean | null | string} pass
 * @returns {string} "PASS", "FAIL", "info", or the skip note itself.
 */
export function verdict(pass) {
  if (pass === true) return "PASS";
  if (pass === false) return "FAIL";
  if (pass === null) return "info";
  return pass;
}

/**
 * Counts the rows and picks the exit code: 1 when any gated row FAILs, else 0. Information
 * rows never fail the run, and neither does a skipped row (a tool the machine lacks, or a
 * peer whose npm install into the temp folder failed, is a note, not a failure: the bench
 * installs nothing system-wide).
 * @param {Row[]} rows
 * @returns {{ passed: number, failed: number, skipped: number, failedNames: string[], exitCode: 0 | 1 }}
 */
export function gate(rows) {
  const failedNames = rows.filter((r) => r.pass === false).map((r) => r.name);
  return {
    passed: rows.filter((r) => r.pass === true).length,
    failed: failedNames.length,
    skipped: rows.filter((r) => typeof r.pass === "string").length,
    failedNames,
    exitCode: failedNames.length > 0 ? 1 : 0,
  };
}
