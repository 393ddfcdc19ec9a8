// Writes the contracts Kasse embeds, compiled from xtask/chain/contracts/ with the repository's
// own compile(): the Sweeper's creation bytecode to cli/contracts/, where the `kasse` CLI
// embeds it, and the BalanceReader's runtime bytecode to shared/contracts/, which the worker
// sends as a state override. Run it after changing either contract:
// `node xtask/chain/artifact.mjs` (the e2e tests fail while an embedded bytecode differs from
// a fresh compile, and shared's unit test while its constant differs from the artifact).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { compile, root } from "./lib.mjs";

export const SWEEPER_ARTIFACT = join(root, "cli", "contracts", "Sweeper.bytecode.hex");
export const BALANCE_READER_ARTIFACT = join(root, "shared", "contracts", "BalanceReader.runtime.hex");

const { Sweeper, BalanceReader } = await compile();
writeFileSync(SWEEPER_ARTIFACT, Sweeper.bytecode.replace(/^0x/, "") + "\n");
console.log(`wrote ${SWEEPER_ARTIFACT} (${(Sweeper.bytecode.length - 2) / 2} bytes of creation code)`);
writeFileSync(BALANCE_READER_ARTIFACT, BalanceReader.deployed.replace(/^0x/, "") + "\n");
console.log(`wrote ${BALANCE_READER_ARTIFACT} (${(BalanceReader.deployed.length - 2) / 2} bytes of runtime code)`);
