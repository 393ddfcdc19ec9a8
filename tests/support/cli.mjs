// Runs the merchant's CLI `kasse` as a merchant runs it: the binary `cargo xtask test` built
// (KASSE_CLI), configured only by its environment, with stdin closed (no terminal).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";

/** The built `kasse` binary. */
export const CLI = process.env.KASSE_CLI;

/**
 * Runners of `kasse args…` whose whole environment is PATH and the merchant's `vars()`, with
 * each run's `overrides` on top (a value of null unsets).
 */
export function cliRunner(vars) {
  const environment = (overrides) =>
    Object.fromEntries(Object.entries({ PATH: process.env.PATH, ...vars(), ...overrides }).filter(([, v]) => v !== null));
  /** Runs `kasse args…`; returns { code, stdout, stderr }. */
  function kasse(args, overrides = {}) {
    return new Promise((ok) => {
      const child = execFile(CLI, args, { env: environment(overrides), timeout: 120_000 }, (error, stdout, stderr) => {
        ok({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
      });
      child.stdin.end();
    });
  }

  /** `kasse …` that must succeed; returns its stdout. */
  async function kasseOk(args, overrides) {
    const r = await kasse(args, overrides);
    assert.equal(r.code, 0, `kasse ${args.join(" ")} failed: ${r.stderr}\n${r.stdout}`);
    return r.stdout;
  }

  /** `kasse …` that must fail with one line on stderr matching `pattern`; returns that line. */
  async function kasseRefuses(args, pattern, overrides) {
    const r = await kasse(args, overrides);
    assert.notEqual(r.code, 0, `kasse ${args.join(" ")} should fail:\n${r.stdout}`);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `one line on stderr: ${r.stderr}`);
    assert.match(lines[0], /^kasse: /);
    assert.match(lines[0], pattern);
    return lines[0];
  }

  return { kasse, kasseOk, kasseRefuses };
}
