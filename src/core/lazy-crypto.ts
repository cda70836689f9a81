import { requireCjs } from "./require-cjs.js";

/**
 * `node:crypto`, loaded on first use. Importing it costs ~6-8 ms of Node 20's start (it loads
 * its ~20 internal modules: ciphers, keys, x509, webcrypto) and a create needs it only to hash
 * what it copied, after the checkout; `preloadCrypto` loads it while git checks out (issue 12).
 */
export function nodeCrypto(): typeof import("node:crypto") {
  loaded ??= requireCjs("node:crypto") as typeof import("node:crypto");
  return loaded;
}
let loaded: typeof import("node:crypto") | null = null;

/** Loads `node:crypto` on the next turn of the event loop, when the caller is waiting (e.g. on git). */
export function preloadCrypto(): void {
  if (loaded === null) setImmediate(nodeCrypto);
}

/**
 * 8 hex digits for a name that only has to differ from this process's other names of the same
 * moment (temp files beside their target, lock tokens that also carry the pid and its start
 * time); not a secret, so `Math.random` serves and `node:crypto` is not loaded for it.
 */
export function nonce(): string {
  return Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, "0");
}
