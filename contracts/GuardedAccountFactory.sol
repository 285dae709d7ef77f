// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";
import {GuardedTarget} from "./GuardedTarget.sol";

/**
 * @title GuardedAccountFactory
 * @dev A CREATE2 factory for smart accounts that the {GuardianHub} can pause (the hub's account-factory layer).
 *
 * It has the interface of the MetaMask Smart Accounts Kit's `SimpleFactory` (`deploy(bytes,bytes32)`,
 * `computeAddress(bytes32,bytes32)`, `Deployed(address)`), so the kit can use it as `environment.SimpleFactory`
 * unchanged: the counterfactual address of an account is the same formula, with this factory as the deployer.
 *
 * While paused, {deploy} reverts with {GuardedAccountFactoryPaused}; called through a user operation's `initCode`
 * the EntryPoint then reports "AA13 initCode failed or OOG".
 *
 * NOTE: ERC-7562 lets a factory read its own storage during validation (the pause flag) only if it is staked with
 * the EntryPoint: the owner stakes it with {addStake}.
 */
contract GuardedAccountFactory is GuardedTarget, Ownable {
    /// @dev An account was deployed at `addr`.
    event Deployed(address indexed addr);

    /// @dev The factory is paused: it creates no accounts.
    error GuardedAccountFactoryPaused();

    /// @dev The factory is not paused, so it cannot be unpaused.
    error GuardedAccountFactoryNotPaused();

    /// @dev `caller` is not the hub, which alone may pause and unpause.
    error GuardedAccountFactoryUnauthorizedHub(address caller);

    /// @dev The contract created at `deployed` has no code.
    error GuardedAccountFactoryEmptyContract(address deployed);

    /// @dev CREATE2 to `predicted` failed without a revert reason (e.g. an account is already deployed there).
    error GuardedAccountFactoryDeploymentFailed(address predicted);

    /// @dev A constructor argument that must be set is the zero address.
    error GuardedAccountFactoryZeroAddress();

    /**
     * @dev Sets the hub and the owner (who manages the factory's stake). The factory starts unpaused and unstaked.
     *
     * Requirements:
     *
     * - `hub_` must not be the zero address.
     * - `owner` must not be the zero address ({OwnableInvalidOwner}).
     *
     * Emits an {OwnershipTransferred} event.
     */
    constructor(address hub_, address owner) GuardedTarget(hub_) Ownable(owner) {}

    /**
     * @dev Deploys `_bytecode` (creation code and constructor arguments) with CREATE2 and `_salt`; returns its address.
     * A reverting constructor's reason is passed on as is.
     *
     * NOTE: CREATE2 is done in assembly rather than with OpenZeppelin's `Create2.deploy`, which reads
     * `address(this).balance` (SELFBALANCE): ERC-7562 bans that opcode in the validation phase, where this function
     * runs when called through `initCode`.
     *
     * Requirements:
     *
     * - the factory must not be paused.
     * - nothing may have been deployed with the same `_bytecode` and `_salt`.
     * - the deployed contract must have code (so `_bytecode` must not be empty).
     *
     * Emits a {Deployed} event.
     */
    function deploy(bytes calldata _bytecode, bytes32 _salt) external returns (address addr_) {
        _requireNotPaused();
        bytes memory bytecode = _bytecode;
        assembly ("memory-safe") {
            addr_ := create2(0, add(bytecode, 0x20), mload(bytecode), _salt)
        }
        if (addr_ == address(0)) {
            if (LowLevelCall.returnDataSize() == 0) {
                revert GuardedAccountFactoryDeploymentFailed(Create2.computeAddress(_salt, keccak256(bytecode)));
            }
            LowLevelCall.bubbleRevert();
        }
        if (addr_.code.length == 0) revert GuardedAccountFactoryEmptyContract(addr_);
        emit Deployed(addr_);
    }

    /**
     * @dev Returns the address {deploy} creates for creation code hashing to `_bytecodeHash` and `_salt`.
     */
    function computeAddress(bytes32 _bytecodeHash, bytes32 _salt) external view returns (address addr_) {
        return Create2.computeAddress(_salt, _bytecodeHash);
    }

    /**
     * @dev Stakes the factory with `entryPoint`, adding `msg.value` to its stake.
     *
     * Requirements:
     *
     * - the caller must be the owner.
     * - `unstakeDelaySec` must not be lower than the current one (checked by the EntryPoint).
     *
     * Emits a {IStakeManager-StakeLocked} event (from the EntryPoint).
     */
    function addStake(IEntryPoint entryPoint, uint32 unstakeDelaySec) external payable onlyOwner {
        entryPoint.addStake{value: msg.value}(unstakeDelaySec);
    }

    /**
     * @dev Starts the unstake delay of the factory's stake with `entryPoint`; bundlers then treat it as unstaked.
     *
     * Requirements:
     *
     * - the caller must be the owner.
     *
     * Emits a {IStakeManager-StakeUnlocked} event (from the EntryPoint).
     */
    function unlockStake(IEntryPoint entryPoint) external onlyOwner {
        entryPoint.unlockStake();
    }

    /**
     * @dev Withdraws the factory's whole stake with `entryPoint` to `withdrawAddress`.
     *
     * Requirements:
     *
     * - the caller must be the owner.
     * - the stake must be unlocked and its unstake delay over (checked by the EntryPoint).
     *
     * Emits a {IStakeManager-StakeWithdrawn} event (from the EntryPoint).
     */
    function withdrawStake(IEntryPoint entryPoint, address payable withdrawAddress) external onlyOwner {
        entryPoint.withdrawStake(withdrawAddress);
    }

    function _revertPaused() internal pure override {
        revert GuardedAccountFactoryPaused();
    }

    function _revertNotPaused() internal pure override {
        revert GuardedAccountFactoryNotPaused();
    }

    function _revertUnauthorizedHub(address caller) internal pure override {
        revert GuardedAccountFactoryUnauthorizedHub(caller);
    }

    function _revertZeroAddress() internal pure override {
        revert GuardedAccountFactoryZeroAddress();
    }
}
