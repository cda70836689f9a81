// Completes package-lock.json with the platform-specific optional packages the registry
// mirror on these machines does not serve (biome's and DuckDB's android/darwin/win32/arm64
// builds answer 404 here, so `npm install` leaves them out of the lock, and `npm ci` then
// refuses the lock as out of sync). Each added entry carries only the version and the
// os/cpu/libc fields npm needs to skip it on other platforms; on a machine of that platform
// npm fetches it from the registry as usual. Run after `npm install`:
//   node scripts/lock-platform-entries.mjs
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const packages = lock.packages;

function platformOf(name) {
  const m = /-(android|darwin|linux|win32|freebsd)-(arm64|x64|ia32|arm)(?:-(musl|gnu))?$/.exec(name);
  if (!m) return null;
  return { cpu: [m[2]], libc: m[1] === "linux" ? [m[3] === "musl" ? "musl" : "glibc"] : undefined, os: [m[1]] };
}

let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `node_modules/${dep}`;
    if (packages[at]) continue;
    const platform = platformOf(dep);
    if (!platform) throw new Error(`${dep} (optional dependency of ${key || "the root"}) is missing and is no platform package`);
    // Keys in the order npm writes them, so a later `npm install` leaves the lock as it is.
    packages[at] = JSON.parse(
      JSON.stringify({
        version,
        cpu: platform.cpu,
        dev: entry.dev ? true : undefined,
        libc: platform.libc,
        optional: true,
        os: platform.os,
      }),
    );
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform entries to package-lock.json`);
