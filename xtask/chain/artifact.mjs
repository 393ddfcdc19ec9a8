// Writes the Sweeper's creation bytecode, compiled from xtask/chain/contracts/Sweeper.sol with
// the repository's own compile(), to cli/contracts/, where the `kasse` CLI embeds it. Run it
// after changing Sweeper.sol: `node xtask/chain/artifact.mjs` (the CLI's e2e test fails while
// the embedded bytecode differs from a fresh compile).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { compile, root } from "./lib.mjs";

export const SWEEPER_ARTIFACT = join(root, "cli", "contracts", "Sweeper.bytecode.hex");

const { Sweeper } = await compile();
writeFileSync(SWEEPER_ARTIFACT, Sweeper.bytecode.replace(/^0x/, "") + "\n");
console.log(`wrote ${SWEEPER_ARTIFACT} (${(Sweeper.bytecode.length - 2) / 2} bytes of creation code)`);
