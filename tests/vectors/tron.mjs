// Tron test vectors from an independent implementation (TronWeb), for shared/src/tron.rs.
// Not part of `cargo xtask test`; re-run by hand when the vectors need checking:
//   mkdir -p /tmp/tronvec && npm i --prefix /tmp/tronvec tronweb@6.5.1
//   NODE_PATH=/tmp/tronvec/node_modules node tests/vectors/tron.mjs
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(path.join(process.env.NODE_PATH ?? '.', 'noop.js'));
const { TronWeb } = require('tronweb');
const { HDNodeWallet } = require('ethers');
const modules = process.env.NODE_PATH ?? 'node_modules';
const versionOf = (name) =>
  JSON.parse(readFileSync(path.join(modules, name, 'package.json'), 'utf8')).version;

const MNEMONICS = [
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  'test test test test test test test test test test test junk',
];

const out = { tronweb: versionOf('tronweb'), ethers: versionOf('ethers'), wallets: [], fixed: [] };
for (const mnemonic of MNEMONICS) {
  // The account xpub a merchant registers: m/44'/195'/0' (depth 3), and its external chain.
  const account = HDNodeWallet.fromPhrase(mnemonic, undefined, "m/44'/195'/0'").neuter();
  const addresses = [];
  for (let i = 0; i < 3; i++) {
    const { address } = TronWeb.fromMnemonic(mnemonic, `m/44'/195'/0'/0/${i}`);
    addresses.push({ index: i, base58: address, hex: TronWeb.address.toHex(address) });
  }
  out.wallets.push({
    mnemonic,
    account_xpub: account.extendedKey,
    external_xpub: account.deriveChild(0).extendedKey,
    addresses,
  });
}
// Published pairs, checked here against TronWeb (the Rust test names where each comes from).
const PUBLISHED = [
  ['TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', '41a614f803b6fd780986a42c78ec9c7f77e6ded13c'],
  ['TEazPvZwDjDtFeJupyo7QunvnrnUjPH8ED', '4132a4f47a74a6810bd0bf861cabab99656a75de9e'],
  ['TBhCfAytTEh52WFL6HYr64i2nmc3u3TCUp', '4112e94f5a3c88b17d2f6e0b9a45cd310f8e7a6d29'],
  ['TT67rPNwgmpeimvHUMVzFfKsjL9GZ1wGw8', '41bbc8c05f1b09839e72db044a6aa57e2a5d414a10'],
  ['TQHgMpVzWkhSsRB4BzZgmV8uW4cFL8eaBr', '419d1015e669c2df831003c5c54ceb48da613d9979'],
];
for (const [base58, hex] of PUBLISHED) {
  const agrees = TronWeb.address.toHex(base58) === hex && TronWeb.address.fromHex(hex) === base58;
  out.fixed.push({ base58, hex, tronweb_agrees: agrees });
}
// The other direction, from hex to base58, for a few edge addresses.
for (const hex of ['410000000000000000000000000000000000000000', '41ffffffffffffffffffffffffffffffffffffffff']) {
  out.fixed.push({ base58: TronWeb.address.fromHex(hex), hex });
}
console.log(JSON.stringify(out, null, 2));
