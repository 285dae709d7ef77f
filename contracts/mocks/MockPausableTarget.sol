// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/**
 * @dev TEST ONLY. Stands in for the MetaMask `DelegationManager`: `Ownable2Step` + `Pausable`, owner-only
 * `pause()`/`unpause()` (reverting `EnforcedPause()`/`ExpectedPause()` on a redundant call, as OpenZeppelin v5 does),
 * and a `whenNotPaused` entry point like `redeemDelegations`. Switches simulate broken targets for the hub's tests.
 */
contract MockPausableTarget is Ownable2Step, Pausable {
    /// @dev How {pause} and {unpause} misbehave when switched on.
    enum Fault {
        None, // behave like the DelegationManager
        Revert, // revert with {MockPausableTargetFailure}
        Ignore // succeed without changing the pause state (a target that lies)
    }

    Fault private _fault;
    uint256 private _redemptions;

    /// @dev A simulated failure of {pause} or {unpause}.
    error MockPausableTargetFailure();

    constructor(address owner) Ownable(owner) {}

    /// @dev Switches the simulated fault. Anyone may call it: this is a test mock.
    function setFault(Fault fault) external {
        _fault = fault;
    }

    /// @dev Owner-only pause, like `DelegationManager.pause()`.
    function pause() external onlyOwner {
        if (_misbehave()) return;
        _pause();
    }

    /// @dev Owner-only unpause, like `DelegationManager.unpause()`.
    function unpause() external onlyOwner {
        if (_misbehave()) return;
        _unpause();
    }

    /// @dev A guarded entry point, like `redeemDelegations`.
    function redeem() external whenNotPaused {
        ++_redemptions;
    }

    /// @dev Number of successful {redeem} calls.
    function redemptions() external view returns (uint256) {
        return _redemptions;
    }

    function _misbehave() private view returns (bool) {
        if (_fault == Fault.Revert) revert MockPausableTargetFailure();
        return _fault == Fault.Ignore;
    }
}
