// The create rows (issue 12): `wt create` against `git worktree add -b` (and the peers) on
// fresh folders, with no mass deletion before them. All the worktrees of every side are made
// first, the sides alternating (the side going first rotates every iteration), fresh ids each
// time; they are deleted only after (the cleanup rows), and a few creates right after that
// deletion are an information row. ext4 here slows file creation after mass deletes (git's
// side ranged 333-2,140 ms in such samples), which hid wt's overhead in the old figures.
import path from "node:path";
import { CONFIG_SYMLINK, writeConfig } from "./fixture.mjs";
import { addRow, git, log, measureMemory, median, rows, S, settle, wt } from "./lib.mjs";
import { removePeerWorktrees } from "./peers.mjs";

export const gitDir = (fx, name) => path.join(S.tmp, `git-worktrees-${fx.key}`, name);

/** `git worktree add -q -b feature/<name> <dir> <base>`: the floor of a create (ms). */
export async function gitWorktreeAdd(fx, name) {
  return (await git(fx.repo, ["worktree", "add", "-q", "-b", `feature/${name}`, gitDir(fx, name), fx.base])).ms;
}
/** `git worktree remove` + `git branch -d`: the floor of a cleanup (ms). */
export async function gitWorktreeRemove(fx, name) {
  const a = await git(fx.repo, ["worktree", "remove", gitDir(fx, name)]);
  const b = await git(fx.repo, ["branch", "-q", "-d", `feature/${name}`]);
  return a.ms + b.ms;
}

/** `wt create <id> --no-fetch --json`, checking once that .env was copied and node_modules linked. */
function wtCreateSide(fx) {
  let checked = false;
  return async (id) => {
    const res = await wt(fx, ["create", id, "--no-fetch", "--json"]);
    if (!checked) {
      checked = true;
      const j = JSON.parse(res.stdout);
      const modes = Object.fromEntries(j.included.map((e) => [e.path, e.mode]));
      if (modes.node_modules !== "symlink" || modes[".env"] !== "copy") {
        throw new Error(`unexpected includes for the symlink config: ${JSON.stringify(j.included)}`);
      }
    }
    return res.ms;
  };
}

/**
 * Makes `warmup + runs` worktrees per side, nothing deleted in between: iteration i runs every
 * side once, the order rotated by i (each side goes first equally often), `sync` before each.
 * @param {{key: string, create: (i: number) => Promise<number>, peer?: object, failed?: string}[]} sides
 * @returns {Promise<Record<string, number[]>>} the timed samples (ms) per side key
 */
async function makeAll(sides) {
  const out = Object.fromEntries(sides.map((s) => [s.key, []]));
  for (let i = 0; i < S.warmup + S.runs; i++) {
    const order = sides.map((_, k) => sides[(k + i) % sides.length]);
    for (const side of order) {
      if (side.failed) continue;
      await settle();
      let ms;
      try {
        ms = await side.create(i);
      } catch (e) {
        // A peer that breaks is left out (a skipped row); wt's or git's failure stops the bench.
        if (!side.peer) throw e;
        side.failed = String(e.message ?? e)
          .split("\n")[0]
          .slice(0, 200);
        log(`peers: ${side.peer.name} failed, left out: ${side.failed}`);
        continue;
      }
      if (i >= S.warmup) out[side.key].push(ms);
    }
  }
  return out;
}

/**
 * Phase 1 of the create section: every side's worktrees made on fresh folders. `gate`:
 * "delta" (≤ git + 60 ms, the 3,000-file fixture) or "faster" (the 25,000-file fixture).
 * Returns what phase 2 (deleteAll) removes.
 */
export async function makeWorktrees(fx, { gate, peers = [] }) {
  log(`create (${fx.label}): wt create / git worktree add -b${peers.length ? " / peers" : ""}, fresh folders`);
  writeConfig(fx.repo, CONFIG_SYMLINK);
  for (const p of peers) p.setup?.(fx);
  const wtCreate = wtCreateSide(fx);
  const sides = [
    { key: "wt", create: (i) => wtCreate(`a${i}`) },
    { key: "git", create: (i) => gitWorktreeAdd(fx, `b${i}`) },
    ...peers.map((p, k) => ({ key: `peer${k}`, peer: p, create: (i) => p.create(fx, `${i}`) })),
  ];
  const r = await makeAll(sides);
  for (const side of sides) if (side.failed) side.peer.failed = side.failed;
  const name = `\`wt create\` (.env copied, node_modules symlinked), ${fx.label}, fresh folders`;
  if (gate === "faster") {
    addRow({ name, a: r.wt, b: r.git, kind: "faster", note: "`git worktree add -b`" });
  } else {
    addRow({ name, a: r.wt, b: r.git, kind: "delta", limit: 60, note: "`git worktree add -b`" });
  }
  peerRows(r, peers);
  const n = S.warmup + S.runs;
  return { fx, peers, ids: Array.from({ length: n }, (_, i) => i), wt: r.wt, git: r.git };
}

/** One info row per peer (against git), then wt against the fastest peer (issue: ≤ +30 ms). */
function peerRows(r, peers) {
  const ran = peers.map((p, k) => ({ p, xs: r[`peer${k}`] })).filter(({ p }) => !p.failed);
  const tools = ran.filter(({ p }) => !p.floor);
  for (const p of peers.filter((x) => x.failed)) {
    rows.push({
      name: `peer: ${p.name}`,
      wt: "—",
      floor: "—",
      cmp: "—",
      target: "info",
      pass: `skipped: failed: ${p.failed}`,
    });
  }
  if (ran.length === 0) return;
  ran.forEach(({ p, xs }) => {
    addRow({
      name: `${p.floor ? "floor" : "peer"}: ${p.name} (${p.note})`,
      a: xs,
      b: r.git,
      kind: "delta",
      info: true,
      note: "`git worktree add -b`",
    });
  });
  if (tools.length === 0) return;
  const fastest = [...tools].sort((x, y) => median(x.xs) - median(y.xs))[0];
  addRow({
    name: `\`wt create\` vs the fastest peer (${fastest.p.name})`,
    a: r.wt,
    b: fastest.xs,
    kind: "delta",
    info: true,
    infoTarget: "info (issue: ≤ +30 ms)",
    note: fastest.p.name,
  });
}

/** A skipped row per peer that could not run (a missing tool is a note, not a failure). */
export function skippedPeerRows(skipped) {
  for (const note of skipped) {
    const [peer, ...why] = note.split(": ");
    rows.push({
      name: `peer: ${peer}`,
      wt: "—",
      floor: "—",
      cmp: "—",
      target: "info",
      pass: `skipped: ${why.join(": ")}`,
    });
  }
}

/**
 * Phase 2: the worktrees of phase 1 deleted, `wt cleanup` against `git worktree remove` +
 * `git branch -d` alternating (gated ≤ +100 ms unless `info`), the peers' and `extraGit`
 * worktrees removed untimed, then a few creates right after that mass deletion (info rows).
 */
export async function deleteAll(made, { info = false, extraGit = [] } = {}) {
  const { fx, peers, ids } = made;
  log(`cleanup (${fx.label}): wt cleanup / git worktree remove, then creates right after the deletion`);
  const A = [];
  const B = [];
  for (const i of ids) {
    const sides = [() => wt(fx, ["cleanup", `a${i}`]).then((x) => x.ms), () => gitWorktreeRemove(fx, `b${i}`)];
    for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
      await settle();
      const ms = await sides[k]();
      if (i >= S.warmup) (k === 0 ? A : B).push(ms);
    }
  }
  addRow({
    name: `\`wt cleanup\` (same worktree), ${fx.label}`,
    a: A,
    b: B,
    kind: "delta",
    limit: 100,
    info,
    note: "`git worktree remove` + `git branch -d`",
  });
  await removePeerWorktrees(fx, peers, ids);
  for (const name of extraGit) await gitWorktreeRemove(fx, name);
  await afterDeletion(fx);
}

/** Creates right after the mass deletion above (both sides alike): information only. */
async function afterDeletion(fx) {
  const n = Math.min(S.runs, 5);
  const A = [];
  const B = [];
  const wtCreate = wtCreateSide(fx);
  for (let i = 0; i < n; i++) {
    const sides = [() => wtCreate(`d${i}`), () => gitWorktreeAdd(fx, `e${i}`)];
    for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
      await settle();
      (k === 0 ? A : B).push(await sides[k]());
    }
  }
  addRow({
    name: `\`wt create\` right after a mass deletion, ${fx.label} (${n} pairs)`,
    a: A,
    b: B,
    kind: "delta",
    info: true,
    infoTarget: "info (ext4 after deletes)",
    note: "`git worktree add -b`",
  });
  for (let i = 0; i < n; i++) {
    await wt(fx, ["cleanup", `d${i}`]);
    await gitWorktreeRemove(fx, `e${i}`);
  }
  await settle();
}

/** Peak memory of one create and one cleanup (symlink mode). */
export async function createMemory(fx) {
  await measureMemory(fx, "wt create (symlink mode)", ["create", "m1", "--no-fetch"]);
  await measureMemory(fx, "wt cleanup (symlink mode)", ["cleanup", "m1"]);
}
