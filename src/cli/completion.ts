import type { Command } from "commander";

/**
 * Completion scripts for bash, zsh and fish, generated from the commander program at build
 * time (scripts/gen-help.mjs writes dist/cli/completion.<shell>), so they cannot drift from the
 * commands and printing one loads no commander. Ids come from `wt __complete ids`, which reads
 * wt's records under <git-common-dir>/wt/ and runs no git (as fast as `wt path`).
 */

/** What an argument position completes to: worktree ids or a fixed list of words. */
export type ArgCompletion = { ids: true } | { words: string[] } | null;

/** One option: its flags (`-q`, `--quiet`), and what its value completes to (none: a switch). */
export interface OptionSpec {
  flags: string[];
  description: string;
  /** null: takes no value; [] : any value (nothing completed); else the choices. */
  value: string[] | null;
}

/** One command (with its aliases), its options and the completion of its first argument. */
export interface CommandSpec {
  names: string[];
  description: string;
  options: OptionSpec[];
  arg: ArgCompletion;
  /** True when every argument completes so (`wt status 101 102`), not only the first. */
  variadic: boolean;
}

export interface CompletionSpec {
  commands: CommandSpec[];
  globals: OptionSpec[];
}

type Opt = Command["options"][number];

function optionSpec(o: Opt): OptionSpec {
  const flags = [o.short, o.long].filter((f): f is string => typeof f === "string");
  const value = o.required || o.optional ? (o.argChoices ?? []) : null;
  return { flags, description: o.description, value };
}

function argCompletion(cmd: Command): ArgCompletion {
  const first = cmd.registeredArguments[0];
  if (!first) return null;
  if (first.argChoices) return { words: first.argChoices };
  return first.name() === "id" ? { ids: true } : null;
}

/** The spec of `program`: every visible command and option, hidden ones (`__complete`) left out. */
export function completionSpec(program: Command): CompletionSpec {
  const commands = program.commands
    .filter((c) => !(c as Command & { _hidden?: boolean })._hidden)
    .map((c) => ({
      names: [c.name(), ...c.aliases()],
      description: c.description(),
      options: c.options.filter((o) => !o.hidden).map(optionSpec),
      arg: argCompletion(c),
      variadic: c.registeredArguments[0]?.variadic === true,
    }));
  const globals = program.options.filter((o) => !o.hidden).map(optionSpec);
  globals.push({ flags: ["-h", "--help"], description: "show help", value: null });
  return { commands, globals };
}

/** Words safe inside single quotes and `compgen -W` (ids, flags and choices are plain words). */
function words(list: string[]): string {
  return list.filter((w) => /^[A-Za-z0-9_.,:=+/-]+$/.test(w)).join(" ");
}

function flagsOf(options: OptionSpec[]): string[] {
  return options.flatMap((o) => o.flags);
}

/** Flags whose value is a word from a list, as `case` arms: `--format) words='sh dotenv'`. */
function valueArms(spec: CompletionSpec, indent: string, arm: (flags: string, list: string) => string): string {
  const seen = new Map<string, string>();
  for (const o of [...spec.globals, ...spec.commands.flatMap((c) => c.options)]) {
    if (o.value === null) continue;
    for (const f of o.flags) if (!seen.has(f)) seen.set(f, words(o.value));
  }
  return [...seen].map(([f, list]) => `${indent}${arm(f, list)}`).join("\n");
}

function commandArms(spec: CompletionSpec, indent: string, arm: (c: CommandSpec, names: string) => string): string {
  return spec.commands.map((c) => `${indent}${arm(c, c.names.join("|"))}`).join("\n");
}

function argWords(c: CommandSpec): string {
  if (c.arg === null) return "";
  return "ids" in c.arg ? "__ids__" : words(c.arg.words);
}

/** `wt completion bash`: one `complete -F` function, words from the spec, ids from `wt __complete ids`. */
export function bashCompletion(spec: CompletionSpec): string {
  const names = spec.commands.flatMap((c) => c.names);
  return `# wt completion for bash; generated from wt's commands. Load: eval "$(wt completion bash)"
_wt_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i n=0 list=""
  [ "$COMP_CWORD" -gt 0 ] && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -C) i=$((i + 1)) ;;
      -*) ;;
      *) if [ -z "$cmd" ]; then cmd="\${COMP_WORDS[i]}"; else n=$((n + 1)); fi ;;
    esac
  done
  case "$prev" in
${valueArms(spec, "    ", (f, list) => `${f}) COMPREPLY=($(compgen -W '${list}' -- "$cur")); return ;;`)}
  esac
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W '${words(names)} ${words(flagsOf(spec.globals))}' -- "$cur"))
    return
  fi
  case "$cmd" in
${commandArms(spec, "    ", (c, n) => `${n}) list='${words(flagsOf(c.options))}' ; [ "$n" -eq 0 ${c.variadic ? "-o 1 -eq 1 " : ""}] && list="$list ${argWords(c)}" ;;`)}
  esac
  case "$cur" in -*) list="$list ${words(flagsOf(spec.globals))}" ;; esac
  case " $list " in
    *" __ids__ "*) list="\${list/__ids__/} $(command wt __complete ids 2>/dev/null)" ;;
  esac
  COMPREPLY=($(compgen -W "$list" -- "$cur"))
}
complete -o default -F _wt_complete wt
`;
}

/** `wt completion zsh`: a `compdef` function with the same rules as bash. */
export function zshCompletion(spec: CompletionSpec): string {
  const names = spec.commands.flatMap((c) => c.names);
  return `#compdef wt
# wt completion for zsh; generated from wt's commands. Load: eval "$(wt completion zsh)"
_wt() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" cmd="" i n=0
  local -a list
  for ((i = 2; i < CURRENT; i++)); do
    case "\${words[i]}" in
      -C) i=$((i + 1)) ;;
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="\${words[i]}"; else n=$((n + 1)); fi ;;
    esac
  done
  case "$prev" in
${valueArms(spec, "    ", (f, list) => `${f}) list=(${list}); compadd -- $list; return ;;`)}
  esac
  if [[ -z "$cmd" ]]; then
    list=(${words(names)} ${words(flagsOf(spec.globals))}); compadd -- $list; return
  fi
  case "$cmd" in
${commandArms(spec, "    ", (c, n) => `${n}) list=(${words(flagsOf(c.options))}); (( n == 0${c.variadic ? " || 1" : ""} )) && list+=(${argWords(c)}) ;;`)}
  esac
  [[ "$cur" == -* ]] && list+=(${words(flagsOf(spec.globals))})
  if (( \${list[(I)__ids__]} )); then
    list=("\${(@)list:#__ids__}" \${(f)"$(command wt __complete ids 2>/dev/null)"})
  fi
  compadd -- $list
}
if (( $+functions[compdef] )); then compdef _wt wt; fi
`;
}

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function fishOption(o: OptionSpec, condition: string): string {
  const parts = [`complete -c wt${condition}`];
  for (const f of o.flags) parts.push(f.startsWith("--") ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`);
  if (o.value !== null) parts.push(o.value.length > 0 ? `-x -a ${fishQuote(words(o.value))}` : "-r");
  parts.push(`-d ${fishQuote(o.description)}`);
  return parts.join(" ");
}

/** `wt completion fish`: `complete` lines per command, conditions on the command word. */
export function fishCompletion(spec: CompletionSpec): string {
  const all = spec.commands.flatMap((c) => c.names).join(" ");
  const lines = [
    "# wt completion for fish; generated from wt's commands. Load: wt completion fish | source",
    "complete -c wt -e",
    "complete -c wt -f",
  ];
  for (const o of spec.globals) lines.push(fishOption(o, ""));
  for (const c of spec.commands) {
    lines.push(
      `complete -c wt -n "not __fish_seen_subcommand_from ${all}" -a ${c.names[0]} -d ${fishQuote(c.description)}`,
    );
    const when = ` -n "__fish_seen_subcommand_from ${c.names.join(" ")}"`;
    for (const o of c.options) lines.push(fishOption(o, when));
    if (c.arg === null) continue;
    const source = "ids" in c.arg ? "'(command wt __complete ids 2>/dev/null)'" : fishQuote(words(c.arg.words));
    lines.push(`complete -c wt${when} -a ${source}`);
  }
  return `${lines.join("\n")}\n`;
}
