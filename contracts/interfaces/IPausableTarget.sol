// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev A contract the {GuardianHub} can pause: the MetaMask `DelegationManager` (`Ownable2Step` + `Pausable`, owned
 * by the hub) already has this shape, and so do Guardian's own guarded contracts ({GuardedTarget}).
 *
 * The hub only calls {pause} on a target that reports `paused() == false` and {unpause} on one that reports
 * `paused() == true`, so targets may revert on a redundant call the way OpenZeppelin's {Pausable} does.
 */
interface IPausableTarget {
    /**
     * @dev Stops the target's guarded entry points.
     *
     * Requirements:
     *
     * - the caller must be the target's pauser (its owner, or the hub).
     * - the target may require that it is not paused.
     *
     * Emits a {Paused} event.
     */
    function pause() external;

    /**
     * @dev Restarts the target's guarded entry points.
     *
     * Requirements:
     *
     * - the caller must be the target's pauser (its owner, or the hub).
     * - the target may require that it is paused.
     *
     * Emits an {Unpaused} event.
     */
    function unpause() external;

    /**
     * @dev Returns true if the target is paused.
     */
    function paused() external view returns (bool);
}
