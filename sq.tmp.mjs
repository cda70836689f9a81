import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync, statSync, copyFileSync } from "node:fs";
const require = createRequire(import.meta.url);
let t = performance.now();
const Database = require("better-sqlite3");
console.log("import", (performance.now()-t).toFixed(1));
const file = "/tmp/sq/app.db";
if (!existsSync(file)) {
  const db = new Database(file); db.pragma("journal_mode = DELETE"); db.pragma("synchronous = OFF");
  db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, body TEXT NOT NULL, n INTEGER NOT NULL); CREATE INDEX items_name ON items(name);");
  const insert = db.prepare("INSERT INTO items (name, body, n) VALUES (?, ?, ?)");
  const batch = db.transaction((start) => { for (let i = start; i < start + 10000; i++) insert.run(`item-${i}-${randomBytes(6).toString("hex")}`, randomBytes(450).toString("hex"), i); });
  let done = 0; while (db.pragma("page_count", { simple: true }) * 4096 < 100e6) { batch(done); done += 10000; }
  db.close();
}
const keep = [];
function vac(pragmas) {
  rmSync("/tmp/sq/out.db", { force: true });
  const t = performance.now();
  const s = new Database(file, { readonly: true, fileMustExist: true }); keep.push(s);
  for (const p of pragmas) s.exec(p);
  s.exec("VACUUM INTO '/tmp/sq/out.db'");
  s.close();
  return performance.now() - t;
}
async function bk() {
  rmSync("/tmp/sq/out.db", { force: true });
  const t = performance.now();
  const s = new Database(file, { readonly: true, fileMustExist: true }); keep.push(s);
  await s.backup("/tmp/sq/out.db", { progress: () => 100000 });
  s.close();
  return performance.now() - t;
}
function cp() { rmSync("/tmp/sq/out.db", { force: true }); const t = performance.now(); copyFileSync(file, "/tmp/sq/out.db"); return performance.now() - t; }
const res = {};
for (let r = 0; r < 5; r++) {
  for (const [k, f] of Object.entries({
    vac: () => vac(["PRAGMA cache_size=-512"]),
    vacDefault: () => vac([]),
    vacMmap: () => vac(["PRAGMA cache_size=-512", "PRAGMA mmap_size=268435456"]),
    backup: bk,
    copy: cp,
  })) { (res[k] ??= []).push(await f()); }
}
for (const [k, v] of Object.entries(res)) { v.sort((a,b)=>a-b); console.log(k, v[2].toFixed(1)); }
