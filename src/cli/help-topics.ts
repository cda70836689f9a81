/**
 * `wt help <topic>`: short pages for what no single command's `--help` covers. The full text
 * is docs/contract.md; these name the keys, codes and lines a user types.
 */

const CONFIG = `wt.config.json (in the main worktree; JSONC: comments and trailing commas are fine)

Every key is optional; \`wt init\` writes a commented one from what it finds.
  worktreeDir  where worktrees go: "../{repo}-worktrees/{name}" (placeholders {repo} {id} {name})
  name         name of an all-digit id: "issue-{id}"
  branch       branch of a new worktree: "feature/{name}"
  base         commit-ish a new branch starts from (default: origin/<default branch>)
  fetch        fetch the base's remote first (default true)
  ports        variable -> base port, a worktree gets base + slot: { "PORT": 3000 }
  portSlots    how many slots (default 1000)
  envFile      env file written in each worktree (default ".env.local")
  env          more variables, \${VAR} expanded: { "API_URL": "http://localhost:\${PORT}" }
  include      { "symlink": [...] }: .worktreeinclude entries to link instead of copy
  databases    [{ "path", "template", "init", "engine", "env" }]: a SQLite/DuckDB file per worktree
  hooks        { "postCreate": [...], "preCleanup": [...], "postCleanup": [...] }
  cleanup      { "protect": [".env*"] }: ignored files that stop cleanup unless --force

Variables override the file: WT_WORKTREE_DIR WT_NAME_TEMPLATE WT_BRANCH_TEMPLATE WT_BASE
WT_FETCH WT_PORT_SLOTS WT_ENV_FILE (flags > variables > file > defaults).
Every problem in the file is reported at once, unknown keys with the nearest known one.
Schema: wt.config.schema.json (add "$schema": "./node_modules/issue-worktree/wt.config.schema.json").
`;

const EXIT_CODES = `Exit codes of wt (the same in --json output's error.code)

  0    success
  1    a bug in wt: the stack trace is printed with a request to report it
  2    usage: bad id, flag or config; not inside a git repository
  3    conflict or not found: unknown id, folder gone, branch checked out elsewhere, folder taken
  4    busy: the repository lock, no free port slot, a locked database or worktree
  5    refused to protect data: uncommitted changes, unpushed commits, protected files
  6    an external command (git, a hook, an init command) failed; the end of its stderr is shown
  130  interrupted; what the run had made is rolled back
`;

const SHELL = `Shell integration: let wt move your shell

  wt shell install              add one marked block to ~/.bashrc, ~/.zshrc or fish's config.fish
                                (it sources a cached script, ~/.cache/wt/shell-init.<shell>: no
                                node start per new shell; wt refreshes it after an upgrade)
  wt shell uninstall            remove both again
  eval "$(wt shell-init bash)"  the same for this shell only (zsh: zsh; fish: wt shell-init fish | source)

With it loaded, \`wt\` is a shell function running the real wt:
  wt cd 101       moves the shell into worktree 101 (no id: the main worktree)
  wt create 101   moves the shell into the new worktree (--no-cd to stay)
  wt cleanup 101  run from inside 101, moves the shell to the main worktree
The binary writes the folder into the file $WT_CD_FILE names; the function cds there and never
evaluates what wt prints. Without the function \`wt cd\` prints the path: cd "$(wt cd 101)".

Completions (included in shell-init): wt completion bash|zsh|fish
`;

/** Topic name -> page. */
export const HELP_TOPICS: Record<string, string> = {
  config: CONFIG,
  "exit-codes": EXIT_CODES,
  shell: SHELL,
};
