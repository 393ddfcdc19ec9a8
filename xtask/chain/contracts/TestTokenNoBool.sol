// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// A USDT-style token for the local chain: `transfer` returns nothing, as USDT's does on
/// Ethereum, so a caller expecting a bool must read the answer by hand. Like USDT it can
/// freeze an address (here anyone may, for tests): a frozen holder's transfers revert.
contract TestTokenNoBool {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => bool) public frozen;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    function mint(address to, uint256 value) external {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function freeze(address holder, bool isFrozen) external {
        frozen[holder] = isFrozen;
    }

    function transfer(address to, uint256 value) external {
        require(!frozen[msg.sender], "frozen");
        require(balanceOf[msg.sender] >= value, "balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
    }
}
