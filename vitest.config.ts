import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The e2e tests spawn the built binary: refuse a dist/ older than src/ (see the file).
    globalSetup: ["test/setup/dist-fresh.ts"],
    setupFiles: ["test/setup/retain-sqlite.ts", "test/setup/state-home.ts"],
    // Real git, real files and the built binary: generous limits on 2-core machines.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
