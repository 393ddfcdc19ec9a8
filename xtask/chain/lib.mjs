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

export function localChain() {
  const catalogue = JSON.parse(readFileSync(join(root, "chains.json"), "utf8"));
  const chain = catalogue.chains.find((c) => c.chain_id === LOCAL_CHAIN_ID);
  if (!chain) throw new Error("chains.json has no local chain 31337");
  return chain;
}

/**
 * Deploys USDC, USDT and the ETH/USD feed from anvil account #0 (nonces 0, 1, 2, so the
 * addresses are the ones chains.json lists) and places Multicall3 at its canonical address.
 * The local USDT's `transfer` returns nothing, like USDT on Ethereum, so every local flow
 * (payments, sweeps) meets a token that does not follow ERC-20 to the letter.
 */
export async function deploy(rpcUrl) {
  const provider = new ethers.JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 1 });
  const chainId = Number((await provider.getNetwork()).chainId);
  if (chainId !== LOCAL_CHAIN_ID) throw new Error(`expected chain ${LOCAL_CHAIN_ID}, RPC serves ${chainId}`);
  const artifacts = await compile();
  const deployer = await provider.getSigner(0);
  const chain = localChain();
  const feedCfg = chain.price_feed;

  const plan = [
    ["USDC", "TestToken", ["USD Coin (test)", "USDC", 6]],
    ["USDT", "TestTokenNoBool", ["Tether USD (test)", "USDT", 6]],
    ["ETH/USD", "TestPriceFeed", [feedCfg.decimals, "ETH / USD", 3000n * 10n ** BigInt(feedCfg.decimals)]],
  ];
  const expected = {
    USDC: chain.tokens.find((t) => t.symbol === "USDC").contract,
    USDT: chain.tokens.find((t) => t.symbol === "USDT").contract,
    "ETH/USD": feedCfg.address,
  };
  const addresses = {};
  for (const [label, contract, args] of plan) {
    const a = artifacts[contract];
    const factory = new ethers.ContractFactory(a.abi, a.bytecode, deployer);
    const deployed = await factory.deploy(...args);
    await deployed.waitForDeployment();
    const address = await deployed.getAddress();
    if (address.toLowerCase() !== expected[label].toLowerCase()) {
      throw new Error(`${label} deployed at ${address}, but chains.json expects ${expected[label]}: was the chain fresh?`);
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
