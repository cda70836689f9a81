/**
 * The `wt` library: the functions the CLI calls, with plain data in and out. Errors are
 * `WtError` subclasses carrying the CLI's exit code, a machine-readable `code` and a `hint`.
 */

export { type AdoptOptions, type AdoptResult, adoptWorktree } from "./core/adopt.js";
export {
  type CleanupOptions,
  type CleanupResult,
  cleanupWorktrees,
  type RemovedWorktree,
  type SkippedWorktree,
} from "./core/cleanup.js";
export type { IgnoredRemoved } from "./core/cleanup-files.js";
export { type ConfigFlags, DEFAULT_CONFIG, loadConfig, type WtConfig } from "./core/config.js";
export type { StepProgress, WtContext } from "./core/context.js";
export { type CreateOptions, type CreateResult, createWorktree } from "./core/create.js";
export { type DoctorCheck, type DoctorOptions, type DoctorResult, runDoctor } from "./core/doctor.js";
export { type EnvFormat, formatVariables, type Variables } from "./core/envfile.js";
export * from "./core/errors.js";
export type { TerminalStdio } from "./core/hooks.js";
export { type MergeOptions, type MergeResult, mergeWorktrees } from "./core/merge.js";
export type { PoolStatus } from "./core/pool/fill.js";
export type { PoolSlotView, SlotState } from "./core/pool/inspect.js";
export { type ReleaseOptions, type ReleaseResult, releaseWorktree } from "./core/pool/release.js";
export { drainPool, fillPool, type PoolChange, poolStatus } from "./core/pool/verbs.js";
export { fnv1a32, preferredSlot } from "./core/ports.js";
export type { ProcessMatch } from "./core/processes.js";
export { listWorktreeProcesses, type PsResult } from "./core/ps.js";
export { type ReapOptions, type ReapResult, reap } from "./core/reap.js";
export { findPresentWorktree, findWorktree, worktreeEnv, worktreePath } from "./core/resolve.js";
export { runInWorktree } from "./core/run.js";
export type { WorktreeRecord } from "./core/state.js";
export { getStatus, type StatusResult, type StatusRow } from "./core/status.js";
export {
  commandsDigest,
  type RepoCommand,
  repositoryCommands,
  requireTrust,
  type TrustResult,
  type TrustStatus,
  trustRepository,
  trustStatus,
} from "./core/trust.js";
