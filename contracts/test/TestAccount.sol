// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.24;

import {IAccount} from "@account-abstraction/contracts/interfaces/IAccount.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

/**
 * @dev TEST ONLY. The smallest ERC-4337 v0.7 account: accepts every operation from `entryPoint` (validation data 0)
 * and pays any prefund asked for, so paymaster tests exercise the EntryPoint's real `handleOps` path.
 */
contract TestAccount is IAccount {
    address public immutable entryPoint;

    error TestAccountNotEntryPoint(address caller);

    constructor(address entryPoint_) {
        entryPoint = entryPoint_;
    }

    receive() external payable {}

    function validateUserOp(PackedUserOperation calldata, bytes32, uint256 missingAccountFunds)
        external
        returns (uint256 validationData)
    {
        if (msg.sender != entryPoint) revert TestAccountNotEntryPoint(msg.sender);
        if (missingAccountFunds != 0) {
            (bool success,) = payable(msg.sender).call{value: missingAccountFunds}("");
            (success); // the EntryPoint checks the deposit itself
        }
        return 0;
    }
}
