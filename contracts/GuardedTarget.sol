// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPausableTarget} from "./interfaces/IPausableTarget.sol";

/**
 * @dev Base of Guardian's own guarded contracts: a pause switch that only the {GuardianHub} (`hub`) can flip, in the
 * shape of OpenZeppelin's {Pausable} (`paused()`, {Paused}/{Unpaused} events, `_requireNotPaused()`).
 *
 * The flag is a plain `bool` in the contract's own storage, read without any call and without `TIMESTAMP` or
 * `NUMBER`: guarded contracts run in ERC-4337's validation phase (a paymaster's validation, a factory called through
 * `initCode`), where ERC-7562 forbids reading other contracts' storage and time. Time bounds live in the hub, which
 * clears the flag when a sentinel pause lapses. Reading its own storage in validation still requires the contract to
 * be staked with the EntryPoint (ERC-7562), which the inheriting contract must provide for.
 *
 * Each inheriting contract names its own errors through the `_revert*` hooks, so a revert always says which
 * contract refused.
 */
abstract contract GuardedTarget is IPausableTarget {
    /// @dev The only account allowed to pause and unpause this contract.
    address public immutable hub;

    bool private _paused;

    /// @dev The pause was triggered by `account` (the hub).
    event Paused(address account);

    /// @dev The pause was lifted by `account` (the hub).
    event Unpaused(address account);

    /**
     * @dev Sets the `hub`. The contract starts unpaused.
     *
     * Requirements:
     *
     * - `hub_` must not be the zero address.
     */
    constructor(address hub_) {
        if (hub_ == address(0)) _revertZeroAddress();
        hub = hub_;
    }

    /**
     * @dev Pauses the contract's guarded entry points.
     *
     * Requirements:
     *
     * - the caller must be the `hub`.
     * - the contract must not be paused.
     *
     * Emits a {Paused} event.
     */
    function pause() external virtual {
        _requireHub();
        _requireNotPaused();
        _paused = true;
        emit Paused(msg.sender);
    }

    /**
     * @dev Unpauses the contract's guarded entry points.
     *
     * Requirements:
     *
     * - the caller must be the `hub`.
     * - the contract must be paused.
     *
     * Emits an {Unpaused} event.
     */
    function unpause() external virtual {
        _requireHub();
        if (!_paused) _revertNotPaused();
        _paused = false;
        emit Unpaused(msg.sender);
    }

    /// @dev Returns true if the contract is paused.
    function paused() public view virtual returns (bool) {
        return _paused;
    }

    /// @dev Reverts, through {_revertPaused}, if the contract is paused. Reads only this contract's own storage.
    function _requireNotPaused() internal view virtual {
        if (_paused) _revertPaused();
    }

    function _requireHub() private view {
        if (msg.sender != hub) _revertUnauthorizedHub(msg.sender);
    }

    /// @dev Reverts with the contract's "paused" error.
    function _revertPaused() internal pure virtual;

    /// @dev Reverts with the contract's "not paused" error (an unpause of an unpaused contract).
    function _revertNotPaused() internal pure virtual;

    /// @dev Reverts with the contract's "only the hub" error naming `caller`.
    function _revertUnauthorizedHub(address caller) internal pure virtual;

    /// @dev Reverts with the contract's "zero address" error.
    function _revertZeroAddress() internal pure virtual;
}
