// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// Delegate code for deposit addresses (EIP-7702): once a deposit key has authorized this
/// contract, its address runs this code, and the merchant's gas wallet can move everything
/// it holds to the treasury in one transaction, with no native coin at the deposit address.
///
/// Immutables only (no storage, no owner): the delegated code runs in the deposit address's
/// own storage, so nothing here may rely on state; immutables are part of the code and keep
/// the deployment's values wherever it runs.
contract Sweeper {
    /// Where every sweep sends the money; nowhere else is possible.
    address public immutable TREASURY;
    /// The only account that may start a sweep.
    address public immutable GAS_WALLET;
    /// This deployment's own address: inside `sweep`, `address(this)` is the deposit address.
    address private immutable SELF;

    /// Emitted at the deposit address for each balance moved to `to` (the treasury); `token` is
    /// zero for the native coin, whose move otherwise leaves no log in the receipt.
    event Swept(address indexed token, address indexed to, uint256 amount);

    error NotGasWallet(address caller);
    error NotThroughSweepAll(address caller);
    error TokenTransferFailed(address deposit, address token);
    error NativeTransferFailed(address deposit);

    constructor(address treasury, address gasWallet) {
        TREASURY = treasury;
        GAS_WALLET = gasWallet;
        SELF = address(this);
    }

    /// Sweeps each of `deposits` (addresses delegated to this contract) of `tokens` and of
    /// the native coin.
    ///
    /// Only the gas wallet may call it. If anyone could trigger a sweep, a late native payment
    /// to a delegated address could be moved out before the watcher reads the balance, and
    /// balance-based detection would then see nothing. With only the merchant's gas wallet
    /// able to trigger, the merchant decides when money moves: after the watcher credited it.
    function sweepAll(address[] calldata deposits, address[] calldata tokens) external {
        if (msg.sender != GAS_WALLET) revert NotGasWallet(msg.sender);
        for (uint256 i = 0; i < deposits.length; ++i) {
            Sweeper(payable(deposits[i])).sweep(tokens);
        }
    }

    /// Runs at a deposit address as its delegated code: moves the whole balance of each of
    /// `tokens`, then the whole native balance, to the treasury. Callable only through
    /// `sweepAll`, so only when the gas wallet decides. A zero balance is skipped.
    function sweep(address[] calldata tokens) external {
        if (msg.sender != SELF) revert NotThroughSweepAll(msg.sender);
        for (uint256 i = 0; i < tokens.length; ++i) {
            uint256 balance = IERC20(tokens[i]).balanceOf(address(this));
            if (balance != 0) transferToken(tokens[i], balance);
        }
        uint256 native = address(this).balance;
        if (native != 0) {
            (bool sent,) = TREASURY.call{value: native}("");
            if (!sent) revert NativeTransferFailed(address(this));
            emit Swept(address(0), TREASURY, native);
        }
    }

    /// A plain transfer to a delegated deposit address still lands, as at any account.
    receive() external payable {}

    /// Unknown calls (a token's receiver hook, say) are accepted and do nothing.
    fallback() external payable {}

    /// `transfer(TREASURY, amount)` by a low-level call, because tokens like USDT on Ethereum
    /// return no bool: success is a call that did not revert and returned nothing or `true`.
    function transferToken(address token, uint256 amount) private {
        (bool called, bytes memory answer) = token.call(abi.encodeCall(IERC20.transfer, (TREASURY, amount)));
        bool accepted = called && (answer.length == 0 || (answer.length >= 32 && abi.decode(answer, (uint256)) == 1));
        if (!accepted) revert TokenTransferFailed(address(this), token);
        emit Swept(token, TREASURY, amount);
    }
}

/// The two calls a sweep makes; `transfer`'s bool is read by hand (see `transferToken`).
interface IERC20 {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
}
