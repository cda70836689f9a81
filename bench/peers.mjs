// Peer tools timed beside wt and git in the create section: branchlet and agent-worktree
// (`@nekocode/agent-worktree-linux-x64`, a compiled Rust binary) installed from the npm
// registry into the bench's temp folder (`npm install --prefix`; nothing system-wide), and
// git-worktree-runner (`git gtr`) when it is on PATH. A peer that is missing, or whose install
// fails, is skipped with a printed note.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ENV, git, log, NODE, run, S, sh } from "./lib.mjs";

const NPM_PEERS = [
  { key: "branchlet", pkg: "branchlet", bin: "node_modules/branchlet/dist/index.js", node: true },
  {
    key: "agent-worktree",
    pkg: "@nekocode/agent-worktree-linux-x64",
    bin: "node_modules/@nekocode/agent-worktree-linux-x64/bin/wt",
    node: false,
    only: process.platform === "linux" && process.arch === "x64",
  },
];

/** Installs one npm package into `<tmp>/peers`; null when it installed, else why not. */
async function npmInstall(prefix, pkg) {
  const r = await run(
    "npm",
    ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", "--no-save", pkg],
    // The caller's own environment: npm may need NODE_EXTRA_CA_CERTS to reach its registry.
    { timeoutMs: 180_000, env: process.env },
  );
  if (r.code === 0) return null;
  const last = (r.stderr || r.stdout).trim().split("\n").pop();
  return r.code === 128
    ? `npm install ${pkg} timed out (180 s)`
    : `npm install ${pkg} failed (exit ${r.code}): ${last}`;
}

/**
 * The peers this machine can run: each `{name, note, setup?(fx), create(fx, id) -> ms, branch(id)}`
 * creating a worktree with a new branch `peer/<id>` from the fixture's base, non-interactively,
 * with `.env` copied where the tool can (branchlet copies `.env*` by default; agent-worktree
 * through `copy_files` in `.agent-worktree.toml`; gtr runs with `--no-copy`, since it would
 * also copy the node_modules/ that `.worktreeinclude` lists). Their HOME is a temp folder.
 * `skipped` lists the notes of the peers left out.
 */
export async function preparePeers() {
  const prefix = path.join(S.tmp, "peers");
  const home = path.join(S.tmp, "peer-home");
  mkdirSync(prefix, { recursive: true });
  mkdirSync(home, { recursive: true });
  const env = { ...ENV, HOME: home };
  const peers = [];
  const skipped = [];
  const hasNpm = sh("sh", ["-c", "command -v npm"]);
  for (const p of NPM_PEERS) {
    if (p.only === false) {
      skipped.push(`${p.key}: ${p.pkg} is built for Linux x64 only`);
      continue;
    }
    if (!hasNpm) {
      skipped.push(`${p.key}: npm is not on PATH`);
      continue;
    }
    log(`peers: npm install --prefix ${path.join(prefix, p.key)} ${p.pkg}`);
    // One prefix per peer: a second `npm install --no-save` into the same one prunes the first.
    const own = path.join(prefix, p.key);
    const why = await npmInstall(own, p.pkg);
    if (why) {
      skipped.push(`${p.key}: ${why}`);
      continue;
    }
    peers.push(
      p.key === "branchlet" ? branchlet(path.join(own, p.bin), env) : agentWorktree(path.join(own, p.bin), env),
    );
  }
  // Not a peer: what any Node tool pays before its own work, beside git alone (an info row).
  peers.unshift(nodeFloor(env));
  // git runs `git-<name>` from PATH for `git <name>`.
  if (sh("sh", ["-c", "command -v git-gtr"])) peers.push(gtr(env));
  else skipped.push("git gtr: not on PATH (git-worktree-runner)");
  for (const note of skipped) log(`peers: skipped ${note}`);
  return { peers, skipped };
}

async function timed(cmd, args, fx, env) {
  const r = await run(cmd, args, { cwd: fx.repo, env });
  if (r.code !== 0)
    throw new Error(`${[cmd, ...args].join(" ")} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  return r.ms;
}

function branchlet(bin, env) {
  return {
    name: "branchlet `create`",
    note: "Node; copies .env*",
    // -n the folder (<repo>.worktree/<name>), -s the source branch, -b the new branch.
    create: (fx, id) => timed(NODE, [bin, "create", "-n", `bl-${id}`, "-s", fx.base, "-b", `peer/bl-${id}`], fx, env),
    branch: (id) => `peer/bl-${id}`,
  };
}

function agentWorktree(bin, env) {
  // Its update check writes a timestamp under HOME; the repository's config copies .env.
  return {
    name: "agent-worktree `wt new`",
    note: "Rust; copy_files .env",
    setup: (fx) =>
      writeFileSync(
        path.join(fx.repo, ".agent-worktree.toml"),
        `[general]\ntrunk = "${fx.base}"\ncopy_files = [".env"]\n`,
      ),
    create: (fx, id) => timed(bin, ["new", `aw-${id}`, "--base", fx.base], fx, env),
    branch: (id) => `aw-${id}`,
  };
}

/**
 * The floor of a create written in Node: Node starts, spawns `git worktree add -q -b` (the same
 * command as the git side, into a folder beside git's) and exits with it. Marked `floor`: it is
 * never "the fastest peer".
 */
function nodeFloor(env) {
  const script =
    'const c = require("node:child_process").spawn("git", ["worktree", "add", "-q", "-b", ...process.argv.slice(1)], { stdio: "inherit" }); c.on("exit", (code) => process.exit(code ?? 1));';
  return {
    name: "Node start + `git worktree add -b`",
    note: "`node -e` spawning git: any Node tool's floor",
    floor: true,
    create: (fx, id) =>
      timed(NODE, ["-e", script, `peer/node-${id}`, path.join(S.tmp, `node-floor-${fx.key}`, id), fx.base], fx, env),
    branch: (id) => `peer/node-${id}`,
  };
}

function gtr(env) {
  return {
    name: "git-worktree-runner `git gtr new`",
    note: "bash; --no-copy",
    create: (fx, id) =>
      timed("git", ["gtr", "new", `peer/gtr-${id}`, "--from", fx.base, "--no-fetch", "--no-copy", "--yes"], fx, env),
    branch: (id) => `peer/gtr-${id}`,
  };
}

/**
 * Removes every worktree a peer made (untimed): the worktrees git lists on the peers' branches,
 * `git worktree remove --force` and `git branch -D`.
 */
export async function removePeerWorktrees(fx, peers, ids) {
  const list = (await git(fx.repo, ["worktree", "list", "--porcelain"])).stdout;
  const byBranch = new Map();
  let current = null;
  for (const line of list.split("\n")) {
    if (line.startsWith("worktree ")) current = line.slice("worktree ".length);
    else if (line.startsWith("branch refs/heads/")) byBranch.set(line.slice("branch refs/heads/".length), current);
  }
  for (const peer of peers) {
    for (const id of ids) {
      const branch = peer.branch(id);
      const dir = byBranch.get(branch);
      if (dir) await git(fx.repo, ["worktree", "remove", "--force", dir]);
      await run("git", ["-C", fx.repo, "branch", "-q", "-D", branch]);
    }
  }
}
