// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.24;

import {BasePaymaster} from "@account-abstraction/contracts/core/BasePaymaster.sol";
import {_packValidationData} from "@account-abstraction/contracts/core/Helpers.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {GuardedTarget} from "./GuardedTarget.sol";

/**
 * @title GuardedPaymaster
 * @dev A verifying paymaster for EntryPoint v0.7 that the {GuardianHub} can pause (the hub's entry-point layer).
 *
 * It sponsors a user operation when an off-chain sponsor service signed it. `paymasterAndData` is laid out as:
 *
 * - `[0:20]`    this paymaster's address
 * - `[20:36]`   paymaster verification gas limit (uint128)
 * - `[36:52]`   paymaster post-op gas limit (uint128)
 * - `[52:116]`  `abi.encode(uint48 validUntil, uint48 validAfter)`
 * - `[116:181]` a 65-byte ECDSA signature `r ‖ s ‖ v` by `sponsorSigner` over
 *   `MessageHashUtils.toEthSignedMessageHash(getHash(userOp, validUntil, validAfter))`
 *
 * A wrong signature does not revert: validation returns `SIG_VALIDATION_FAILED` packed with the window, so the
 * EntryPoint rejects the operation with "AA34 signature error" (and simulation still measures gas). An expired or
 * not-yet-valid window is rejected by the EntryPoint with "AA32 paymaster expired or not due".
 *
 * While paused, validation reverts with {GuardedPaymasterPaused}, which the EntryPoint reports as
 * `FailedOpWithRevert(i, "AA33 reverted", GuardedPaymasterPaused())`.
 *
 * NOTE: ERC-7562 lets a paymaster read its own storage during validation (the pause flag) only if it is staked with
 * the EntryPoint: the owner must call {addStake} (with an unstake delay and amount the bundlers accept) as well as
 * {deposit} the gas money. Validation returns an empty context, so {postOp} is never called.
 */
contract GuardedPaymaster is BasePaymaster, GuardedTarget {
    /// @dev Where `abi.encode(validUntil, validAfter)` starts in `paymasterAndData`.
    uint256 private constant VALIDITY_OFFSET = PAYMASTER_DATA_OFFSET;

    /// @dev Where the sponsor's signature starts: after two ABI words.
    uint256 private constant SIGNATURE_OFFSET = VALIDITY_OFFSET + 64;

    /// @dev Only plain 65-byte signatures: one canonical encoding per approval.
    uint256 private constant SIGNATURE_LENGTH = 65;

    /// @dev Length of the paymaster-specific data after `PAYMASTER_DATA_OFFSET`: the window and the signature.
    uint256 public constant PAYMASTER_DATA_LENGTH = SIGNATURE_OFFSET + SIGNATURE_LENGTH - PAYMASTER_DATA_OFFSET;

    /// @dev The key of the off-chain sponsor service whose signature approves sponsoring an operation.
    address public immutable sponsorSigner;

    /// @dev The paymaster is paused: it sponsors nothing.
    error GuardedPaymasterPaused();

    /// @dev The paymaster is not paused, so it cannot be unpaused.
    error GuardedPaymasterNotPaused();

    /// @dev `caller` is not the hub, which alone may pause and unpause.
    error GuardedPaymasterUnauthorizedHub(address caller);

    /// @dev The paymaster data after `PAYMASTER_DATA_OFFSET` is `length` bytes long instead of `PAYMASTER_DATA_LENGTH`.
    error GuardedPaymasterInvalidDataLength(uint256 length);

    /// @dev A constructor argument that must be set is the zero address.
    error GuardedPaymasterZeroAddress();

    /**
     * @dev Sets the EntryPoint, the hub and the sponsor's key, and hands ownership (stake, deposit withdrawals) to
     * `owner`. The paymaster starts unpaused and unstaked.
     *
     * Requirements:
     *
     * - `entryPoint_` must be an EntryPoint v0.7 (checked through ERC-165 by {BasePaymaster}).
     * - `hub_`, `sponsorSigner_` and `owner` must not be the zero address.
     *
     * Emits {OwnershipTransferred} events (to the deployer, then to `owner`).
     */
    constructor(IEntryPoint entryPoint_, address hub_, address sponsorSigner_, address owner)
        BasePaymaster(entryPoint_)
        GuardedTarget(hub_)
    {
        if (sponsorSigner_ == address(0) || owner == address(0)) revert GuardedPaymasterZeroAddress();
        sponsorSigner = sponsorSigner_;
        _transferOwnership(owner);
    }

    /**
     * @dev Returns the hash the sponsor signs (before the EIP-191 prefix) to approve `userOp` within the window
     * `[validAfter, validUntil]`: `keccak256(abi.encode(sender, nonce, keccak256(initCode), keccak256(callData),
     * accountGasLimits, bytes32(paymasterAndData[20:52]), preVerificationGas, gasFees, block.chainid, address(this),
     * validUntil, validAfter))`. It covers every field except the signature itself, and binds chain and paymaster.
     */
    function getHash(PackedUserOperation calldata userOp, uint48 validUntil, uint48 validAfter)
        public
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                userOp.sender,
                userOp.nonce,
                keccak256(userOp.initCode),
                keccak256(userOp.callData),
                userOp.accountGasLimits,
                bytes32(userOp.paymasterAndData[PAYMASTER_VALIDATION_GAS_OFFSET:PAYMASTER_DATA_OFFSET]),
                userOp.preVerificationGas,
                userOp.gasFees,
                block.chainid,
                address(this),
                validUntil,
                validAfter
            )
        );
    }

    /**
     * @dev Splits `paymasterAndData` into the validity window and the sponsor's signature.
     *
     * Requirements:
     *
     * - the data after `PAYMASTER_DATA_OFFSET` must be exactly `PAYMASTER_DATA_LENGTH` (129) bytes long.
     * - both window fields must be ABI-encoded `uint48` values.
     */
    function parsePaymasterAndData(bytes calldata paymasterAndData)
        public
        pure
        returns (uint48 validUntil, uint48 validAfter, bytes calldata signature)
    {
        if (paymasterAndData.length != PAYMASTER_DATA_OFFSET + PAYMASTER_DATA_LENGTH) {
            uint256 dataLength =
                paymasterAndData.length > PAYMASTER_DATA_OFFSET ? paymasterAndData.length - PAYMASTER_DATA_OFFSET : 0;
            revert GuardedPaymasterInvalidDataLength(dataLength);
        }
        (validUntil, validAfter) = abi.decode(paymasterAndData[VALIDITY_OFFSET:SIGNATURE_OFFSET], (uint48, uint48));
        signature = paymasterAndData[SIGNATURE_OFFSET:];
    }

    /**
     * @dev Approves sponsoring `userOp` if `sponsorSigner` signed it; see the contract's documentation for the data
     * layout. Reads only this contract's own storage (the pause flag) and code; no time opcodes (the window goes back
     * to the EntryPoint in the validation data).
     *
     * Requirements:
     *
     * - the paymaster must not be paused.
     * - `paymasterAndData` must follow the layout.
     */
    function _validatePaymasterUserOp(PackedUserOperation calldata userOp, bytes32, uint256)
        internal
        view
        override
        returns (bytes memory context, uint256 validationData)
    {
        _requireNotPaused();
        (uint48 validUntil, uint48 validAfter, bytes calldata signature) =
            parsePaymasterAndData(userOp.paymasterAndData);
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(getHash(userOp, validUntil, validAfter));
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signature);
        bool sigFailed = error != ECDSA.RecoverError.NoError || recovered != sponsorSigner;
        return ("", _packValidationData(sigFailed, validUntil, validAfter));
    }

    function _revertPaused() internal pure override {
        revert GuardedPaymasterPaused();
    }

    function _revertNotPaused() internal pure override {
        revert GuardedPaymasterNotPaused();
    }

    function _revertUnauthorizedHub(address caller) internal pure override {
        revert GuardedPaymasterUnauthorizedHub(caller);
    }

    function _revertZeroAddress() internal pure override {
        revert GuardedPaymasterZeroAddress();
    }
}
