// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.24;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {GuardedPaymaster} from "../GuardedPaymaster.sol";
import {GuardedAccountFactory} from "../GuardedAccountFactory.sol";

/**
 * @dev Test-only twins of the guarded contracts with the pause check removed,
 * so the gas report (scripts/gas.ts) can measure exactly what the guard costs
 * on each guarded call. Never deploy these anywhere real.
 */
contract UnguardedPaymasterForGas is GuardedPaymaster {
    constructor(IEntryPoint entryPoint_, address hub_, address sponsorSigner_, address owner_)
        GuardedPaymaster(entryPoint_, hub_, sponsorSigner_, owner_)
    {}

    function _requireNotPaused() internal view override {}
}

/// @dev See {UnguardedPaymasterForGas}.
contract UnguardedAccountFactoryForGas is GuardedAccountFactory {
    constructor(address hub_, address owner_) GuardedAccountFactory(hub_, owner_) {}

    function _requireNotPaused() internal view override {}
}
