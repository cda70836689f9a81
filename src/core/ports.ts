import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { SlotsExhaustedError } from "./errors.js";

/**
 * FNV-1a, 32 bits, over the UTF-8 bytes of `text` (offset basis 2166136261, prime 16777619:
 * http://www.isthe.com/chongo/tech/comp/fnv/). Returns an unsigned 32-bit integer.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The slot an id asks for (docs/contract.md, "Ports"): the id itself modulo `portSlots` when it
 * is all digits (issue 101 -> slot 101 -> PORT 3101), else FNV-1a of the id modulo `portSlots`.
 */
export function preferredSlot(id: string, portSlots: number): number {
  if (/^\d+$/.test(id)) {
    // BigInt: an all-digit id may be longer than a double holds exactly.
    return Number(BigInt(id) % BigInt(portSlots));
  }
  return fnv1a32(id) % portSlots;
}

/** Every port of a slot: variable -> base + slot. */
export function portsForSlot(ports: Readonly<Record<string, number>>, slot: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, base] of Object.entries(ports)) out[name] = base + slot;
  return out;
}

export interface SlotRequest {
  id: string;
  ports: Readonly<Record<string, number>>;
  portSlots: number;
  /** Slots other managed worktrees hold. */
  taken: ReadonlySet<number>;
  /** Whether a TCP port is free on this machine. */
  isFree: (port: number) => Promise<boolean>;
  /** Ports other repositories' worktrees hold (the machine-wide registry): port -> holder. */
  heldElsewhere?: ReadonlyMap<number, string>;
  /** Who listens on a busy port ("pid 4242 (node server.js)"), or null when unknown. */
  holderOf?: (port: number) => Promise<string | null>;
}

export interface SlotChoice {
  slot: number;
  preferred: number;
  /** Slots passed over and why, for a warning. */
  skipped: { slot: number; reason: string }[];
}

/**
 * Takes the preferred slot if no other worktree holds it and every one of its ports is free,
 * else the next one, wrapping around.
 * @throws BusyError (exit 4, code `slots-exhausted`) when every slot is held or busy.
 */
export async function allocateSlot(req: SlotRequest): Promise<SlotChoice> {
  const preferred = preferredSlot(req.id, req.portSlots);
  const skipped: SlotChoice["skipped"] = [];
  for (let k = 0; k < req.portSlots; k++) {
    const slot = (preferred + k) % req.portSlots;
    if (req.taken.has(slot)) {
      skipped.push({ slot, reason: "held by another worktree" });
      continue;
    }
    const busy = await whyBusy(req, portsForSlot(req.ports, slot));
    if (busy) {
      skipped.push({ slot, reason: busy });
      continue;
    }
    return { slot, preferred, skipped };
  }
  throw new SlotsExhaustedError(req.portSlots);
}

/** Why a slot's ports cannot be used (held by another repository's worktree, or in use), or null. */
async function whyBusy(req: SlotRequest, ports: Record<string, number>): Promise<string | null> {
  for (const [name, port] of Object.entries(ports)) {
    const elsewhere = req.heldElsewhere?.get(port);
    if (elsewhere) return `${name}=${port} is held by ${elsewhere}`;
  }
  for (const [name, port] of Object.entries(ports)) {
    if (await req.isFree(port)) continue;
    const holder = req.holderOf ? await req.holderOf(port) : null;
    return `${name}=${port} is in use${holder ? ` by ${holder}` : ""}`;
  }
  return null;
}

/**
 * How long to wait before asking again about a port that looked busy, in milliseconds. wt
 * tests a port by listening on it for a moment, so another `wt` (of another repository, whose
 * lock does not serialise with ours) probing the same port makes it look busy for a few
 * milliseconds; a server holding it is still there on the re-checks. Without them, two
 * repositories creating issue 101 at once could push one of them to slot 102 for good (seen
 * in this suite, whose test files run in parallel).
 */
export const PORT_RECHECK_MS: readonly number[] = [25, 100];

/**
 * True when nothing listens on `port` on any local address (`probePortFree`), confirmed:
 * a port that looks busy is asked about again after each of `recheckMs` and counts as free as
 * soon as one answer says so.
 * @param port TCP port, 1..65535
 * @param recheckMs waits in milliseconds before each re-check of a busy answer
 * @param probe one check (default `probePortFree`); tests pass a wrapper of the real one
 */
export async function isPortFree(
  port: number,
  recheckMs: readonly number[] = PORT_RECHECK_MS,
  probe: (port: number) => Promise<boolean> = probePortFree,
): Promise<boolean> {
  if (await probe(port)) return true;
  for (const ms of recheckMs) {
    await new Promise((r) => setTimeout(r, ms));
    if (await probe(port)) return true;
  }
  return false;
}

/**
 * One check of `port`: true when no socket listens on it at any local address, IPv4 or IPv6,
 * loopback or LAN, so no server of any worktree holds it. On Linux this is one read of the
 * kernel's socket tables (`listeningPorts`, off Node's thread): no socket is made, so `node:net` is not
 * loaded (~5 ms of a create, issue 12) and another wt's check never sees this one. Elsewhere
 * `probePortFreeByBind`. The tables list every listener of this network namespace, which is
 * what a wildcard bind conflicts with; a socket bound and not yet listening is not in them.
 * @returns false when something listens (or, by bind, on EADDRINUSE or EACCES)
 * @throws any other system error of the bind
 */
export async function probePortFree(port: number): Promise<boolean> {
  const listening = await listeningPorts();
  if (listening !== null) return !listening.has(port);
  return probePortFreeByBind(port);
}

/**
 * `probePortFree` where the socket tables cannot be read: listens once with no host, which
 * Node binds to the dual-stack wildcard `::` (or `0.0.0.0` without IPv6: net.Server.listen
 * docs), and the kernel refuses a wildcard bind (EADDRINUSE) while any socket listens on that
 * port at any address (Linux `inet_csk_bind_conflict`; the tests cover each). One socket, no
 * address lookup: get-port's listen per interface address cost ~13 ms of a create (issue 12).
 * @returns false on EADDRINUSE or EACCES (a port below 1024 without the right)
 * @throws any other system error of the listen
 */
export async function probePortFreeByBind(port: number): Promise<boolean> {
  // Imported on first use: on Linux the socket tables answer without it.
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE" || error.code === "EACCES") resolve(false);
      else reject(error);
    });
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The TCP ports something listens on in this network namespace, from the kernel's socket
 * tables `/proc/net/tcp` and `/proc/net/tcp6` (proc(5): `local_address` is `HEXIP:HEXPORT`,
 * state `st` 0A is TCP_LISTEN). One read answers for every worktree of `wt status`, where a
 * connect probe per port would cost ~0.3 ms of CPU each (issue 5).
 * @returns the listening ports, or null where the tables cannot be read (not Linux): then use
 *   `isListening`.
 */
export function readListeningPorts(): Set<number> | null {
  return listeningIn(
    SOCKET_TABLES.map((table) => {
      try {
        return readFileSync(table, "utf8");
      } catch {
        return null;
      }
    }),
  );
}

const SOCKET_TABLES = ["/proc/net/tcp", "/proc/net/tcp6"] as const;

/**
 * `readListeningPorts`, the two tables read side by side off Node's thread: the kernel walks
 * its whole established-socket hash to print each (262,144 buckets on this 24 GB machine:
 * ~2 ms a table however few sockets there are), time in which a create goes on planning.
 */
export async function listeningPorts(): Promise<Set<number> | null> {
  return listeningIn(await Promise.all(SOCKET_TABLES.map((table) => readFile(table, "utf8").catch(() => null))));
}

/** The LISTEN (`0A`) ports of the tables' texts (null: that table could not be read); null when none could. */
function listeningIn(texts: readonly (string | null)[]): Set<number> | null {
  const ports = new Set<number>();
  for (const text of texts) {
    for (const line of (text ?? "").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (fields[3] !== "0A" || !local) continue;
      const port = Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
      if (Number.isInteger(port)) ports.add(port);
    }
  }
  return texts.some((t) => t !== null) ? ports : null;
}

/**
 * True when something accepts TCP connections on `port` at 127.0.0.1 or ::1: what `wt status`
 * reports as "listening" (is this worktree's dev server up?). A refused connection answers at
 * once, so this costs well under a millisecond per port, unlike a bind test on every
 * interface.
 * @param timeoutMs how long a silent (filtered) port may take before it counts as not listening
 */
export async function isListening(port: number, timeoutMs = 300): Promise<boolean> {
  // Imported on first use: `wt status` reads the kernel's tables instead where it can.
  const net = await import("node:net");
  const probe = (host: string) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(timeoutMs, () => done(false));
      socket.once("connect", () => done(true));
      socket.once("error", () => done(false));
    });
  const [v4, v6] = await Promise.all([probe("127.0.0.1"), probe("::1")]);
  return v4 || v6;
}
