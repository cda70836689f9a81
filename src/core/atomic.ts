/**
 * Atomic writes (temp file + rename, so a crash never leaves half a file) through
 * write-file-atomic, imported on first use: it costs ~15 ms to load, and `wt path`/`wt env`
 * never write.
 */
export async function writeAtomic(file: string, data: string, options: { mode?: number } = {}): Promise<void> {
  const { default: writeFileAtomic } = await import("write-file-atomic");
  await writeFileAtomic(file, data, options);
}
