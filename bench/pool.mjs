// The pool rows (issue 12): `wt create --pool` (a claim: `git worktree move` + `git switch -c`,
// no checkout) against `git worktree add -b` in the same iteration, and `wt release` of that
// worktree (teardown, `git switch --detach`, move back, lock). Nothing is deleted during the
// loop: release only moves the slot back, and git's worktrees stay until deleteAll (create.mjs)
// removes them, so the floor's checkouts are on fresh folders too.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { gitWorktreeAdd } from "./create.mjs";
import { CONFIG_SYMLINK, writeConfig } from "./fixture.mjs";
import { addRow, git, log, measureMemory, S, settle, wt } from "./lib.mjs";

/** pool.warm is a repository command: trusted for the bench's runs only (WT_TRUST=1). */
const TRUST = { WT_TRUST: "1" };
/** Two slots (claim + release keep one busy at a time), warmed by a small ignored file. */
const POOL_CONFIG = {
  ...CONFIG_SYMLINK,
  pool: { size: 2, warm: ["mkdir -p .warm && echo warm > .warm/state"], warmKey: ["package.json"] },
};

async function claim(fx, id) {
  const c = await wt(fx, ["create", id, "--pool", "--no-fetch", "--json"], TRUST);
  const j = JSON.parse(c.stdout);
  if (!j.pool?.hit) throw new Error(`wt create --pool missed: ${c.stdout}`);
  return { ms: c.ms, path: j.path };
}

async function release(fx, id) {
  const r = await wt(fx, ["release", id, "--json"], TRUST);
  if (JSON.parse(r.stdout).slot === null) throw new Error(`wt release removed the slot: ${r.stdout}`);
  return r.ms;
}

/**
 * The pool section on one fixture: `wt pool fill` (untimed), then per iteration a claim and a
 * `git worktree add -b` (the side going first alternates), and the release of the claim; then
 * a release after a commit that changed files (its reset rewrites them: information). Gated:
 * claim ≤ 150 ms (and, with `minSpeedup`, that many times faster than git), release ≤ 250 ms.
 * @returns {Promise<string[]>} the names of git's worktrees, for deleteAll to remove
 */
export async function benchPool(fx, { minSpeedup } = {}) {
  log(`pool (${fx.label}): wt create --pool / wt release vs git worktree add -b`);
  writeConfig(fx.repo, POOL_CONFIG);
  await wt(fx, ["pool", "fill"], TRUST);
  const claims = [];
  const releases = [];
  const floor = [];
  const gitNames = [];
  for (let i = 0; i < S.warmup + S.runs; i++) {
    const timed = i >= S.warmup;
    const name = `pool-g${i}`;
    gitNames.push(name);
    let c;
    let g;
    for (const side of i % 2 === 0 ? ["wt", "git"] : ["git", "wt"]) {
      await settle();
      if (side === "wt") c = await claim(fx, `q${i}`);
      else g = await gitWorktreeAdd(fx, name);
    }
    await settle();
    const r = await release(fx, `q${i}`);
    if (timed) {
      claims.push(c.ms);
      releases.push(r);
      floor.push(g);
    }
  }
  addRow({
    name: `\`wt create --pool\` (a claim), ${fx.label}`,
    a: claims,
    b: floor,
    kind: "abs",
    limit: 150,
    minSpeedup,
    note: "`git worktree add -b`",
  });
  addRow({ name: `\`wt release\` (back into the pool), ${fx.label}`, a: releases, kind: "abs", limit: 250 });
  await releaseAfterCommit(fx);
  await measureMemory(fx, "wt create --pool", ["create", "qm", "--pool", "--no-fetch"], TRUST);
  await measureMemory(fx, "wt release", ["release", "qm"], TRUST);
  await wt(fx, ["pool", "drain"], TRUST);
  writeConfig(fx.repo, CONFIG_SYMLINK);
  return gitNames;
}

/**
 * A claim whose branch got a commit changing 100 tracked files: release keeps the (unmerged)
 * branch and rewrites those files back to the base. The floor is that reset by git alone in
 * the same worktree just before (`git switch --detach <base>`, timed, then back to the branch,
 * untimed). Gated: release ≤ 250 ms plus the reset (a delta of ≤ +250 ms over the floor).
 */
async function releaseAfterCommit(fx) {
  const n = Math.min(S.runs, 5);
  const A = [];
  const B = [];
  for (let i = 0; i < S.warmup + n; i++) {
    const c = await claim(fx, `qc${i}`);
    const files = (await git(c.path, ["ls-files", "packages"])).stdout.split("\n").filter(Boolean).slice(0, 100);
    for (const f of files) writeFileSync(path.join(c.path, f), `changed by the bench ${i}\n`);
    await git(c.path, ["commit", "-qam", `bench: 100 files changed (${i})`]);
    const branch = (await git(c.path, ["symbolic-ref", "--short", "HEAD"])).stdout.trim();
    await settle();
    const sw = await git(c.path, ["switch", "-q", "--detach", fx.base]);
    await git(c.path, ["switch", "-q", branch]);
    await settle();
    const r = await release(fx, `qc${i}`);
    if (i >= S.warmup) {
      A.push(r);
      B.push(sw.ms);
    }
  }
  addRow({
    name: `\`wt release\` after a commit changing 100 files, ${fx.label}`,
    a: A,
    b: B,
    kind: "delta",
    limit: 250,
    note: "`git switch --detach <base>`: the reset alone",
  });
}
