import { existsSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { BusyError, WtError } from "../../src/core/errors.js";
import {
  allocateSlot,
  fnv1a32,
  isListening,
  isPortFree,
  listeningPorts,
  PORT_RECHECK_MS,
  portsForSlot,
  preferredSlot,
  probePortFree,
  probePortFreeByBind,
  readListeningPorts,
} from "../../src/core/ports.js";

describe("fnv1a32", () => {
  // Test vectors of the reference implementation (http://www.isthe.com/chongo/tech/comp/fnv/).
  it.each([
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["b", 0xe70c2de5],
    ["c", 0xe60c2c52],
    ["foo", 0xa9f37ed7],
    ["foob", 0x3f5076ef],
    ["fooba", 0x39aaa18a],
    ["foobar", 0xbf9cf968],
    ["chongo was here!\n", 0xd49930d5],
  ])("fnv1a32(%j) = %i", (text, expected) => {
    expect(fnv1a32(text)).toBe(expected);
  });

  it("hashes the UTF-8 bytes, not UTF-16 code units", () => {
    // "é" is C3 A9 in UTF-8; the hash of the string equals the hash of those two bytes.
    let h = 0x811c9dc5;
    for (const byte of [0xc3, 0xa9]) {
      h ^= byte;
      h = Number((BigInt(h) * 16777619n) % 2n ** 32n);
    }
    expect(fnv1a32("é")).toBe(h);
    expect(fnv1a32("é")).not.toBe(fnv1a32("\u00e9".normalize("NFD")));
  });

  it("always returns an unsigned 32-bit integer", () => {
    for (const s of ["auth-fix", "a1b2c3d4", "x".repeat(64), "🙂"]) {
      const h = fnv1a32(s);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });
});

describe("preferredSlot", () => {
  it("uses a numeric id itself modulo portSlots", () => {
    expect(preferredSlot("101", 1000)).toBe(101);
    expect(preferredSlot("1101", 1000)).toBe(101);
    expect(preferredSlot("0", 1000)).toBe(0);
    expect(preferredSlot("999", 1000)).toBe(999);
    expect(preferredSlot("1000", 1000)).toBe(0);
    expect(preferredSlot("0101", 1000)).toBe(101);
    expect(preferredSlot("101", 15)).toBe(101 % 15);
    expect(preferredSlot("7", 1)).toBe(0);
  });

  it("is exact for a 30-digit id (beyond what a double holds)", () => {
    const id = "123456789012345678901234567891";
    expect(preferredSlot(id, 1000)).toBe(891);
    expect(preferredSlot(id, 997)).toBe(Number(BigInt(id) % 997n));
    // A double would round this id; the slot must come from the exact value.
    expect(preferredSlot("900719925474099312345", 1000)).toBe(345);
  });

  it("uses FNV-1a of a non-numeric id modulo portSlots", () => {
    for (const id of ["auth-fix", "a1b2c3d4", "A.b_c-d", "101a", "1e3"]) {
      expect(preferredSlot(id, 1000)).toBe(fnv1a32(id) % 1000);
      expect(preferredSlot(id, 15)).toBe(fnv1a32(id) % 15);
    }
    expect(preferredSlot("foobar", 1000)).toBe(0xbf9cf968 % 1000);
  });

  it("always stays inside 0..portSlots-1", () => {
    for (const id of ["1", "auth-fix", "99999999999999999999", "zz"]) {
      for (const slots of [1, 2, 15, 1000, 64512]) {
        const s = preferredSlot(id, slots);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThan(slots);
      }
    }
  });
});

describe("portsForSlot", () => {
  it("adds the slot to every base port, keeping variable order", () => {
    const ports = portsForSlot({ BACKEND_PORT: 9100, FRONTEND_PORT: 9200 }, 7);
    expect(ports).toEqual({ BACKEND_PORT: 9107, FRONTEND_PORT: 9207 });
    expect(Object.keys(ports)).toEqual(["BACKEND_PORT", "FRONTEND_PORT"]);
    expect(portsForSlot({ PORT: 3000 }, 101)).toEqual({ PORT: 3101 });
    expect(portsForSlot({ PORT: 3000 }, 0)).toEqual({ PORT: 3000 });
    expect(portsForSlot({}, 5)).toEqual({});
  });

  it("does not modify its input", () => {
    const base = { PORT: 3000 };
    portsForSlot(base, 9);
    expect(base).toEqual({ PORT: 3000 });
  });
});

describe("allocateSlot", () => {
  const always = async () => true;

  it("takes the preferred slot when it is free", async () => {
    const checked: number[] = [];
    const choice = await allocateSlot({
      id: "101",
      ports: { PORT: 3000, API_PORT: 4000 },
      portSlots: 1000,
      taken: new Set(),
      isFree: async (p) => {
        checked.push(p);
        return true;
      },
    });
    expect(choice).toEqual({ slot: 101, preferred: 101, skipped: [] });
    expect(checked).toEqual([3101, 4101]);
  });

  it("skips slots other worktrees hold, without probing their ports", async () => {
    const checked: number[] = [];
    const choice = await allocateSlot({
      id: "101",
      ports: { PORT: 3000 },
      portSlots: 1000,
      taken: new Set([101, 102]),
      isFree: async (p) => {
        checked.push(p);
        return true;
      },
    });
    expect(choice.slot).toBe(103);
    expect(choice.preferred).toBe(101);
    expect(choice.skipped).toEqual([
      { slot: 101, reason: "held by another worktree" },
      { slot: 102, reason: "held by another worktree" },
    ]);
    expect(checked).toEqual([3103]);
  });

  it("skips a slot when any one of its ports is busy and says which", async () => {
    const busy = new Set([4101, 3102]);
    const choice = await allocateSlot({
      id: "101",
      ports: { PORT: 3000, API_PORT: 4000 },
      portSlots: 1000,
      taken: new Set(),
      isFree: async (p) => !busy.has(p),
    });
    expect(choice.slot).toBe(103);
    expect(choice.skipped).toEqual([
      { slot: 101, reason: "API_PORT=4101 is in use" },
      { slot: 102, reason: "PORT=3102 is in use" },
    ]);
  });

  it("wraps around past the last slot", async () => {
    const choice = await allocateSlot({
      id: "14",
      ports: { PORT: 9100 },
      portSlots: 15,
      taken: new Set([14, 0]),
      isFree: async (p) => p !== 9101,
    });
    expect(choice.preferred).toBe(14);
    expect(choice.slot).toBe(2);
    expect(choice.skipped.map((s) => s.slot)).toEqual([14, 0, 1]);
  });

  it("starts from the FNV slot for a non-numeric id", async () => {
    const preferred = fnv1a32("auth-fix") % 1000;
    const choice = await allocateSlot({
      id: "auth-fix",
      ports: { PORT: 3000 },
      portSlots: 1000,
      taken: new Set(),
      isFree: always,
    });
    expect(choice).toEqual({ slot: preferred, preferred, skipped: [] });
  });

  it("throws BusyError (exit 4, slots-exhausted) when every slot is held or busy, after trying each once", async () => {
    const checked: number[] = [];
    const err = await allocateSlot({
      id: "3",
      ports: { PORT: 9100 },
      portSlots: 5,
      taken: new Set([0, 2, 4]),
      isFree: async (p) => {
        checked.push(p);
        return false;
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusyError);
    expect(err).toBeInstanceOf(WtError);
    expect((err as BusyError).exitCode).toBe(4);
    expect((err as BusyError).code).toBe("slots-exhausted");
    expect((err as BusyError).message).toContain("5");
    expect(checked.sort()).toEqual([9101, 9103]);
  });

  it("with a single slot: takes it when free, else exit 4", async () => {
    const ok = await allocateSlot({ id: "x", ports: { PORT: 5000 }, portSlots: 1, taken: new Set(), isFree: always });
    expect(ok.slot).toBe(0);
    await expect(
      allocateSlot({ id: "x", ports: { PORT: 5000 }, portSlots: 1, taken: new Set([0]), isFree: always }),
    ).rejects.toMatchObject({ exitCode: 4, code: "slots-exhausted" });
  });
});

describe("isPortFree (real sockets)", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  function listen(host: string, port = 0): Promise<Server> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen({ host, port }, () => {
        servers.push(server);
        resolve(server);
      });
    });
  }

  function portOf(server: Server): number {
    const addr = server.address();
    if (addr === null || typeof addr === "string") throw new Error("no port");
    return addr.port;
  }

  function close(server: Server): Promise<void> {
    servers.splice(servers.indexOf(server), 1);
    return new Promise((r) => server.close(() => r()));
  }

  /** A port the OS just handed out and nothing holds now. */
  async function freshPort(): Promise<number> {
    const s = await listen("127.0.0.1");
    const port = portOf(s);
    await close(s);
    return port;
  }

  it.each(["127.0.0.1", "0.0.0.0"])("reports a port listened on at %s as busy, and free once closed", async (host) => {
    const server = await listen(host);
    const port = portOf(server);
    expect(await isPortFree(port)).toBe(false);
    expect(await isPortFree(port)).toBe(false);
    await close(server);
    expect(await isPortFree(port)).toBe(true);
  });

  const hasIpv6Loopback = Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((i) => i.address === "::1"),
  );
  it.runIf(hasIpv6Loopback)("reports a port listened on at ::1 only as busy", async () => {
    const server = await listen("::1");
    const port = portOf(server);
    expect(await isPortFree(port)).toBe(false);
    await close(server);
    expect(await isPortFree(port)).toBe(true);
  });

  const lanAddress = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .find((i) => i.family === "IPv4" && !i.internal)?.address;
  it.runIf(lanAddress !== undefined)("reports a port listened on only at a LAN address as busy", async () => {
    const server = await listen(lanAddress as string);
    const port = portOf(server);
    expect(await isPortFree(port)).toBe(false);
    await close(server);
    expect(await isPortFree(port)).toBe(true);
  });

  it("says free twice in a row for a free port (get-port's in-process cache does not leak)", async () => {
    const port = await freshPort();
    expect(await isPortFree(port)).toBe(true);
    expect(await isPortFree(port)).toBe(true);
    expect(await isPortFree(port)).toBe(true);
  });

  it("a port that looks busy only for a moment (another wt's probe) counts as free on the re-check", async () => {
    const server = await listen("127.0.0.1");
    const port = portOf(server);
    const answers: boolean[] = [];
    // The first real check sees the listener; then it goes away, as another process's get-port
    // probe does a few milliseconds after it began.
    const probe = async (p: number) => {
      const free = await probePortFree(p);
      answers.push(free);
      if (answers.length === 1) await close(server);
      return free;
    };
    expect(await isPortFree(port, [0], probe)).toBe(true);
    expect(answers).toEqual([false, true]);
  });

  it("a port held through every re-check stays busy", async () => {
    const server = await listen("127.0.0.1");
    const port = portOf(server);
    let probes = 0;
    const probe = (p: number) => {
      probes++;
      return probePortFree(p);
    };
    expect(await isPortFree(port, [0, 0], probe)).toBe(false);
    expect(probes).toBe(3);
    expect(PORT_RECHECK_MS.length).toBeGreaterThan(0);
  });

  it("does not hold the port after checking it: a server can listen on it right away", async () => {
    const port = await freshPort();
    expect(await isPortFree(port)).toBe(true);
    const server = await listen("127.0.0.1", port);
    expect(portOf(server)).toBe(port);
  });

  it("drives allocateSlot past a slot whose port is really in use", async () => {
    const server = await listen("127.0.0.1");
    const busyPort = portOf(server);
    // Base chosen so that slot 0 is the busy port and slot 1 the next one up.
    const choice = await allocateSlot({
      id: "0",
      ports: { PORT: busyPort },
      portSlots: 2,
      taken: new Set(),
      isFree: isPortFree,
    }).catch((e: unknown) => e);
    if (choice instanceof Error) {
      // Only acceptable if busyPort + 1 happens to be in use on this machine too.
      expect(await isPortFree(busyPort + 1)).toBe(false);
      return;
    }
    expect(choice).toMatchObject({
      slot: 1,
      preferred: 0,
      skipped: [{ slot: 0, reason: `PORT=${busyPort} is in use` }],
    });
  });

  // probePortFree reads the socket tables on Linux; the bind probe is what other systems use.
  // Both must call the same ports busy: a listener at each kind of address, then none.
  it.each([
    ["probePortFree", probePortFree],
    ["probePortFreeByBind", probePortFreeByBind],
  ])(
    "%s: busy while something listens on 127.0.0.1, 0.0.0.0, ::1 or a LAN address, free once it closes",
    async (_, probe) => {
      const hosts = ["127.0.0.1", "0.0.0.0", ...(hasIpv6Loopback ? ["::1"] : []), ...(lanAddress ? [lanAddress] : [])];
      for (const host of hosts) {
        const server = await listen(host);
        const port = portOf(server);
        expect(await probe(port), host).toBe(false);
        await close(server);
        expect(await probe(port), host).toBe(true);
      }
    },
  );

  it.runIf(existsSync("/proc/net/tcp"))(
    "probePortFree makes no socket on Linux: a port it checks is never seen busy by a concurrent bind",
    async () => {
      const port = await freshPort();
      // Ten checks in flight while this process binds the port: a bind probe of our own would
      // make the listen fail (EADDRINUSE) now and then; reading the tables never does.
      const checks = Array.from({ length: 10 }, () => probePortFree(port));
      const server = await listen("127.0.0.1", port);
      await Promise.all(checks);
      expect(portOf(server)).toBe(port);
      await close(server);
    },
  );

  const hasProcTables = existsSync("/proc/net/tcp");
  it.runIf(hasProcTables)(
    "readListeningPorts sees listeners on 127.0.0.1, 0.0.0.0 and ::1, and not once closed",
    async () => {
      const hosts = ["127.0.0.1", "0.0.0.0", ...(hasIpv6Loopback ? ["::1"] : [])];
      const opened = await Promise.all(hosts.map((h) => listen(h)));
      const ports = opened.map(portOf);
      const seen = readListeningPorts();
      expect(seen).not.toBeNull();
      for (const [i, port] of ports.entries()) expect(seen?.has(port), hosts[i]).toBe(true);
      // The asynchronous read (what probePortFree uses) sees the same listeners.
      const seenAsync = await listeningPorts();
      for (const [i, port] of ports.entries()) expect(seenAsync?.has(port), hosts[i]).toBe(true);
      // isListening agrees for the loopback ones.
      expect(await isListening(ports[0] as number)).toBe(true);
      for (const s of opened) await close(s);
      const after = readListeningPorts();
      for (const port of ports) expect(after?.has(port)).toBe(false);
      const afterAsync = await listeningPorts();
      for (const port of ports) expect(afterAsync?.has(port)).toBe(false);
      expect(await isListening(ports[0] as number)).toBe(false);
    },
  );

  it.runIf(hasProcTables)("readListeningPorts ignores connected sockets: only listeners count", async () => {
    const server = await listen("127.0.0.1");
    const port = portOf(server);
    const client = connect({ host: "127.0.0.1", port });
    await new Promise<void>((r) => client.once("connect", () => r()));
    const localPort = client.localPort as number;
    const seen = readListeningPorts();
    expect(seen?.has(port)).toBe(true);
    expect(seen?.has(localPort)).toBe(false);
    client.destroy();
  });
});
