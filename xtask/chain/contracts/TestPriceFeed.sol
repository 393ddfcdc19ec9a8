// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// A Chainlink AggregatorV3-shaped feed whose answer and timestamps tests can set,
/// to exercise stale, future-dated and non-positive prices.
contract TestPriceFeed {
    uint8 public immutable decimals;
    string public description;
    uint80 private roundId;
    int256 private answer;
    uint256 private updatedAt;

    constructor(uint8 decimals_, string memory description_, int256 answer_) {
        decimals = decimals_;
        description = description_;
        _set(answer_, block.timestamp);
    }

    function setAnswer(int256 answer_) external {
        _set(answer_, block.timestamp);
    }

    function setRound(int256 answer_, uint256 updatedAt_) external {
        _set(answer_, updatedAt_);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return (roundId, answer, updatedAt, updatedAt, roundId);
    }

    function _set(int256 answer_, uint256 updatedAt_) private {
        roundId += 1;
        answer = answer_;
        updatedAt = updatedAt_;
    }
}
