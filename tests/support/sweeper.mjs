// Sweeper fixtures shared by the suites that sweep with ethers directly (the CLI's suite
// runs the real `kasse` instead).
import { ethers } from "ethers";

/** A fresh random account on `provider`, holding `eth` wei sent by `payer`. */
export async function funded({ provider, payer }, eth) {
  const wallet = ethers.Wallet.createRandom(provider);
  if (eth) await (await payer.sendTransaction({ to: wallet.address, value: eth })).wait();
  return wallet;
}

/** A Sweeper for a fresh, empty treasury, deployed by a fresh gas wallet holding 1 ETH. */
export async function newSweeper(chain, artifacts) {
  const treasury = ethers.Wallet.createRandom().address;
  const gasWallet = await funded(chain, 10n ** 18n);
  const a = artifacts.Sweeper;
  const sweeper = await new ethers.ContractFactory(a.abi, a.bytecode, gasWallet).deploy(treasury, gasWallet.address);
  await sweeper.waitForDeployment();
  return { treasury, gasWallet, sweeper };
}
