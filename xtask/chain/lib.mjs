// Local-chain helpers shared by the dev tooling and the tests: compile the test
// contracts with solc-js, deploy them, and pay sessions from anvil's funded accounts.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
export const MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11";
export const LOCAL_CHAIN_ID = 31337;

/** Compiles every contract in ./contracts (cached by source hash in .kasse/). */
export async function compile() {
  const dir = join(here, "contracts");
  const sources = {};
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".sol")).sort()) {
    sources[f] = { content: readFileSync(join(dir, f), "utf8") };
  }
  const key = createHash("sha256").update(JSON.stringify(sources)).digest("hex");
  const cache = join(root, ".kasse", "contracts", `${key}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, "utf8"));

  const solc = (await import("solc")).default;
  const input = {
    language: "Solidity",
    sources,
    settings: {
      evmVersion: "paris",
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const artifacts = {};
  for (const [file, contracts] of Object.entries(output.contracts)) {
    for (const [name, c] of Object.entries(contracts)) {
      artifacts[name] = { file, abi: c.abi, bytecode: "0x" + c.evm.bytecode.object, deployed: "0x" + c.evm.deployedBytecode.object };
    }
  }
  mkdirSync(dirname(cache), { recursive: true });
  writeFileSync(cache, JSON.stringify(artifacts));
  return artifacts;
}

/**
 * The local chains the dev and test stacks run, by chain id: which anvil account deploys
 * their contracts (so no contract address is shared between them), the native feed's
 * answer in dollars, and the tokens whose `transfer` returns nothing, like USDT on
 * Ethereum. A chain is started only while chains.json lists it.
 */
export const LOCAL_CHAINS = {
  31337: { deployer: 0, usdPrice: 3000n, noBool: ["USDT"] },
  31338: { deployer: 1, usdPrice: 2500n, noBool: [] },
  31339: { deployer: 2, usdPrice: null, noBool: [] },
};

export function localChain(chainId = LOCAL_CHAIN_ID) {
  const catalogue = JSON.parse(readFileSync(join(root, "chains.json"), "utf8"));
  const chain = catalogue.chains.find((c) => c.chain_id === chainId);
  if (!chain) throw new Error(`chains.json has no local chain ${chainId}`);
  return chain;
}

/** A catalogue contract as the EVM sees it: `0x…` as is, a Tron `T…` address as its 20 bytes. */
export function evmAddress(contract) {
  if (!contract.startsWith("T")) return ethers.getAddress(contract);
  const bytes = ethers.getBytes(ethers.toBeHex(ethers.decodeBase58(contract), 25));
  return ethers.getAddress(ethers.hexlify(bytes.slice(1, 21)));
}

/**
 * Deploys a local chain's tokens (in catalogue order) and its native price feed from the
 * chain's deployer account, so the addresses are the ones chains.json lists, and places
 * Multicall3 at its canonical address.
 */
export async function deploy(rpcUrl) {
  const provider = new ethers.JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 1 });
  const chainId = Number((await provider.getNetwork()).chainId);
  const local = LOCAL_CHAINS[chainId];
  if (!local) throw new Error(`chain ${chainId} is not a local chain (${Object.keys(LOCAL_CHAINS).join(", ")})`);
  const artifacts = await compile();
  const deployer = await provider.getSigner(local.deployer);
  const chain = localChain(chainId);
  const feedCfg = chain.price_feed;

  const plan = chain.tokens.map((t) => [
    t.symbol,
    local.noBool.includes(t.symbol) ? "TestTokenNoBool" : "TestToken",
    [t.symbol === "USDT" ? "Tether USD (test)" : "USD Coin (test)", t.symbol, t.decimals],
    evmAddress(t.contract),
  ]);
  if (feedCfg) {
    const label = `${chain.native_symbol}/USD`;
    const answer = local.usdPrice * 10n ** BigInt(feedCfg.decimals);
    plan.push([label, "TestPriceFeed", [feedCfg.decimals, `${chain.native_symbol} / USD`, answer], feedCfg.address]);
  }
  const addresses = {};
  for (const [label, contract, args, expected] of plan) {
    const a = artifacts[contract];
    const factory = new ethers.ContractFactory(a.abi, a.bytecode, deployer);
    const deployed = await factory.deploy(...args);
    await deployed.waitForDeployment();
    const address = await deployed.getAddress();
    if (address.toLowerCase() !== expected.toLowerCase()) {
      throw new Error(`${label} deployed at ${address} on ${chainId}, but chains.json expects ${expected}: was the chain fresh?`);
    }
    addresses[label] = address;
  }
  await provider.send("anvil_setCode", [MULTICALL3, artifacts.Multicall3.deployed]);
  addresses.Multicall3 = MULTICALL3;
  provider.destroy();
  return { chain_id: chainId, rpc_url: rpcUrl, contracts: addresses };
}

/** anvil's default account #9: the shopper in local payments (never a deposit address). */
export const PAYER_INDEX = 9;

const ERC20 = ["function mint(address to, uint256 value)", "function transfer(address to, uint256 value) returns (bool)"];

/**
 * Pays `amount` base units to `to` from anvil account #9: ERC-20 (minting what the payer
 * needs first) when `contract` is given, else the native coin. Returns the transaction hash.
 */
export async function pay(rpcUrl, { contract, to, amount }) {
  const provider = new ethers.JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 1 });
  try {
    const payer = await provider.getSigner(PAYER_INDEX);
    let tx;
    if (contract) {
      const token = new ethers.Contract(contract, ERC20, payer);
      await (await token.mint(await payer.getAddress(), amount)).wait();
      tx = await token.transfer(to, amount);
    } else {
      tx = await payer.sendTransaction({ to, value: amount });
    }
    await tx.wait();
    return tx.hash;
  } finally {
    provider.destroy();
  }
}

/** Decimal string in token units ("49.99") → base units, exactly (no floats). */
export function parseUnits(value, decimals) {
  return ethers.parseUnits(value, decimals);
}
