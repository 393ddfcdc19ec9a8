// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// A contract wallet in miniature: it passes on the ETH it receives with an internal call,
/// so the deposit address gets value without any transaction addressed to it.
contract Forwarder {
    function forward(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "forward failed");
    }
}
