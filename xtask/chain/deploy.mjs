// Usage: node xtask/chain/deploy.mjs <rpc-url>
// Deploys the local test contracts and prints their addresses as JSON on stdout.
import { deploy } from "./lib.mjs";

const rpcUrl = process.argv[2] || "http://127.0.0.1:8545";
try {
  console.log(JSON.stringify(await deploy(rpcUrl)));
} catch (e) {
  console.error(`deploy failed: ${e.message}`);
  process.exit(1);
}
