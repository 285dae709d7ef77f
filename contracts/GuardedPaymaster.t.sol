// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.24;

import {EntryPoint} from "@account-abstraction/contracts/core/EntryPoint.sol";
import {_packValidationData} from "@account-abstraction/contracts/core/Helpers.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {IStakeManager} from "@account-abstraction/contracts/interfaces/IStakeManager.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {GuardedPaymaster} from "./GuardedPaymaster.sol";
import {GuardedTarget} from "./GuardedTarget.sol";
import {GuardianHub} from "./GuardianHub.sol";
import {TestAccount} from "./test/TestAccount.sol";
import {TestBase} from "./test/TestBase.sol";

/// @dev Builds and signs user operations sponsored by a {GuardedPaymaster}.
abstract contract PaymasterFixture is TestBase {
    uint128 internal constant VERIFICATION_GAS = 200_000;
    uint128 internal constant CALL_GAS = 50_000;
    uint128 internal constant PAYMASTER_VERIFICATION_GAS = 100_000;
    uint128 internal constant POST_OP_GAS = 0;
    uint256 internal constant PRE_VERIFICATION_GAS = 50_000;
    uint128 internal constant MAX_PRIORITY_FEE = 1 gwei;
    uint128 internal constant MAX_FEE = 2 gwei;

    /// @dev An unsigned operation from `sender`, paymaster fields filled in except the window and signature.
    function _op(address sender, uint256 nonce) internal pure returns (PackedUserOperation memory op) {
        op.sender = sender;
        op.nonce = nonce;
        op.accountGasLimits = bytes32(uint256(VERIFICATION_GAS) << 128 | CALL_GAS);
        op.preVerificationGas = PRE_VERIFICATION_GAS;
        op.gasFees = bytes32(uint256(MAX_PRIORITY_FEE) << 128 | MAX_FEE);
    }

    /// @dev `paymasterAndData` for `paymaster` with the window and `signature` (which may be any length).
    function _paymasterAndData(address paymaster, uint48 validUntil, uint48 validAfter, bytes memory signature)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(
            paymaster, PAYMASTER_VERIFICATION_GAS, POST_OP_GAS, abi.encode(validUntil, validAfter), signature
        );
    }

    /// @dev Fills in `op.paymasterAndData` with the window and a signature by `signerKey` over `getHash`.
    function _sponsor(
        PackedUserOperation memory op,
        GuardedPaymaster paymaster,
        uint256 signerKey,
        uint48 validUntil,
        uint48 validAfter
    ) internal view returns (PackedUserOperation memory) {
        // getHash reads paymasterAndData[20:52] (the gas limits): set them before hashing.
        op.paymasterAndData = _paymasterAndData(address(paymaster), validUntil, validAfter, "");
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(paymaster.getHash(op, validUntil, validAfter));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(signerKey, digest);
        op.paymasterAndData = _paymasterAndData(address(paymaster), validUntil, validAfter, abi.encodePacked(r, s, v));
        return op;
    }

    function _ops(PackedUserOperation memory op) internal pure returns (PackedUserOperation[] memory ops) {
        ops = new PackedUserOperation[](1);
        ops[0] = op;
    }
}

contract GuardedPaymasterTest is PaymasterFixture {
    uint256 internal constant START = 1_700_000_000;
    bytes32 internal constant INCIDENT = keccak256("INC-0001");

    EntryPoint internal entryPoint;
    GuardianHub internal hub;
    GuardedPaymaster internal paymaster;
    TestAccount internal account;

    address internal admin;
    address internal guardian;
    address internal sentinel;
    address internal stranger;
    address internal owner;
    address internal sponsor;
    uint256 internal sponsorKey;
    address payable internal beneficiary;

    function setUp() public {
        vm.warp(START);
        admin = makeAddr("admin");
        guardian = makeAddr("guardian");
        sentinel = makeAddr("sentinel");
        stranger = makeAddr("stranger");
        owner = makeAddr("owner");
        beneficiary = payable(makeAddr("beneficiary"));
        (sponsor, sponsorKey) = makeAccount("sponsor");

        entryPoint = new EntryPoint();
        hub = new GuardianHub(admin, guardian, 1 days, 6 hours);
        paymaster = new GuardedPaymaster(entryPoint, address(hub), sponsor, owner);
        account = new TestAccount(address(entryPoint));

        vm.prank(guardian);
        hub.grantRole(keccak256("SENTINEL_ROLE"), sentinel);
        address[] memory wiring = new address[](1);
        wiring[0] = address(paymaster);
        vm.prank(admin);
        hub.setLayerTargets(0, wiring);

        vm.deal(owner, 10 ether);
        vm.startPrank(owner);
        paymaster.deposit{value: 1 ether}();
        paymaster.addStake{value: 1 ether}(1 days);
        vm.stopPrank();
    }

    function _signedOp() internal view returns (PackedUserOperation memory) {
        return _sponsor(_op(address(account), 0), paymaster, sponsorKey, uint48(START + 1 hours), uint48(START - 1));
    }

    function _layer0() internal pure returns (uint8[] memory layers) {
        layers = new uint8[](1);
    }

    // ================================================================ construction

    function test_constructor_setsFields() public view {
        assertEq(address(paymaster.entryPoint()), address(entryPoint), "entryPoint");
        assertEq(paymaster.hub(), address(hub), "hub");
        assertEq(paymaster.sponsorSigner(), sponsor, "sponsorSigner");
        assertEq(paymaster.owner(), owner, "owner");
        assertFalse(paymaster.paused(), "starts unpaused");
        assertEq(paymaster.PAYMASTER_DATA_LENGTH(), 129, "data length");
    }

    function test_constructor_revertsOnZeroHub() public {
        vm.expectRevert(GuardedPaymaster.GuardedPaymasterZeroAddress.selector);
        new GuardedPaymaster(entryPoint, address(0), sponsor, owner);
    }

    function test_constructor_revertsOnZeroSponsorSigner() public {
        vm.expectRevert(GuardedPaymaster.GuardedPaymasterZeroAddress.selector);
        new GuardedPaymaster(entryPoint, address(hub), address(0), owner);
    }

    function test_constructor_revertsOnZeroOwner() public {
        vm.expectRevert(GuardedPaymaster.GuardedPaymasterZeroAddress.selector);
        new GuardedPaymaster(entryPoint, address(hub), sponsor, address(0));
    }

    function test_constructor_revertsOnNonEntryPoint() public {
        vm.expectRevert(); // BasePaymaster's ERC-165 probe of a contract that is not an EntryPoint
        new GuardedPaymaster(IEntryPoint(address(hub)), address(hub), sponsor, owner);
    }

    // ================================================================ pause switch

    function test_pause_onlyByHub() public {
        vm.expectRevert(
            abi.encodeWithSelector(GuardedPaymaster.GuardedPaymasterUnauthorizedHub.selector, stranger)
        );
        vm.prank(stranger);
        paymaster.pause();
        vm.expectRevert(abi.encodeWithSelector(GuardedPaymaster.GuardedPaymasterUnauthorizedHub.selector, owner));
        vm.prank(owner);
        paymaster.pause();
    }

    function test_unpause_onlyByHub() public {
        vm.prank(guardian);
        hub.pause(_layer0(), INCIDENT);
        vm.expectRevert(
            abi.encodeWithSelector(GuardedPaymaster.GuardedPaymasterUnauthorizedHub.selector, sentinel)
        );
        vm.prank(sentinel);
        paymaster.unpause();
    }

    function test_pause_emitsAndRevertsWhenAlreadyPaused() public {
        vm.expectEmit(true, true, true, true, address(paymaster));
        emit GuardedTarget.Paused(address(hub));
        vm.prank(address(hub));
        paymaster.pause();
        assertTrue(paymaster.paused(), "paused");
        vm.expectRevert(GuardedPaymaster.GuardedPaymasterPaused.selector);
        vm.prank(address(hub));
        paymaster.pause();
    }

    function test_unpause_emitsAndRevertsWhenNotPaused() public {
        vm.expectRevert(GuardedPaymaster.GuardedPaymasterNotPaused.selector);
        vm.prank(address(hub));
        paymaster.unpause();
        vm.prank(address(hub));
        paymaster.pause();
        vm.expectEmit(true, true, true, true, address(paymaster));
        emit GuardedTarget.Unpaused(address(hub));
        vm.prank(address(hub));
        paymaster.unpause();
        assertFalse(paymaster.paused(), "unpaused");
    }

    // ================================================================ through the EntryPoint

    function test_handleOps_sponsorsSignedOperation() public {
        uint256 depositBefore = paymaster.getDeposit();
        entryPoint.handleOps(_ops(_signedOp()), beneficiary);
        assertEq(entryPoint.getNonce(address(account), 0), 1, "op executed");
        assertTrue(paymaster.getDeposit() < depositBefore, "paymaster paid");
        assertTrue(beneficiary.balance > 0, "bundler refunded");
    }

    function test_handleOps_refusedWhilePausedByGuardian() public {
        PackedUserOperation memory op = _signedOp();
        vm.prank(guardian);
        hub.pause(_layer0(), INCIDENT);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEntryPoint.FailedOpWithRevert.selector,
                0,
                "AA33 reverted",
                abi.encodeWithSelector(GuardedPaymaster.GuardedPaymasterPaused.selector)
            )
        );
        entryPoint.handleOps(_ops(op), beneficiary);
    }

    function test_handleOps_refusedDuringSentinelPauseAndServedAfterRelease() public {
        vm.prank(sentinel);
        hub.sentinelPause(_layer0(), INCIDENT);
        PackedUserOperation memory op =
            _sponsor(_op(address(account), 0), paymaster, sponsorKey, uint48(START + 2 days), 0);

        vm.warp(START + 1 days - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEntryPoint.FailedOpWithRevert.selector,
                0,
                "AA33 reverted",
                abi.encodeWithSelector(GuardedPaymaster.GuardedPaymasterPaused.selector)
            )
        );
        entryPoint.handleOps(_ops(op), beneficiary);

        vm.warp(START + 1 days);
        vm.prank(stranger);
        hub.releaseExpired(_layer0());
        entryPoint.handleOps(_ops(op), beneficiary);
        assertEq(entryPoint.getNonce(address(account), 0), 1, "op executed after release");
    }

    function test_handleOps_rejectsWrongSigner() public {
        (, uint256 otherKey) = makeAccount("not the sponsor");
        PackedUserOperation memory op =
            _sponsor(_op(address(account), 0), paymaster, otherKey, uint48(START + 1 hours), 0);
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA34 signature error"));
        entryPoint.handleOps(_ops(op), beneficiary);
    }

    function test_handleOps_rejectsExpiredWindow() public {
        PackedUserOperation memory op =
            _sponsor(_op(address(account), 0), paymaster, sponsorKey, uint48(START - 1), 0);
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA32 paymaster expired or not due"));
        entryPoint.handleOps(_ops(op), beneficiary);
    }

    function test_handleOps_rejectsWindowNotYetOpen() public {
        PackedUserOperation memory op =
            _sponsor(_op(address(account), 0), paymaster, sponsorKey, uint48(START + 2 hours), uint48(START + 1 hours));
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA32 paymaster expired or not due"));
        entryPoint.handleOps(_ops(op), beneficiary);
    }

    function test_handleOps_rejectsBadDataLength() public {
        PackedUserOperation memory op = _signedOp();
        op.paymasterAndData = bytes.concat(op.paymasterAndData, hex"00");
        vm.expectRevert(
            abi.encodeWithSelector(
                IEntryPoint.FailedOpWithRevert.selector,
                0,
                "AA33 reverted",
                abi.encodeWithSelector(GuardedPaymaster.GuardedPaymasterInvalidDataLength.selector, 130)
            )
        );
        entryPoint.handleOps(_ops(op), beneficiary);
    }

    // ================================================================ validation, called as the EntryPoint

    function test_validate_returnsWindowOnSuccess() public {
        PackedUserOperation memory op = _signedOp();
        vm.prank(address(entryPoint));
        (bytes memory context, uint256 validationData) = paymaster.validatePaymasterUserOp(op, bytes32(0), 0);
        assertEq(context.length, 0, "no context, no postOp");
        assertEq(validationData, _packValidationData(false, uint48(START + 1 hours), uint48(START - 1)), "data");
    }

    function test_validate_revertsWhenNotCalledByEntryPoint() public {
        PackedUserOperation memory op = _signedOp();
        vm.expectRevert(bytes("Sender not EntryPoint"));
        vm.prank(stranger);
        paymaster.validatePaymasterUserOp(op, bytes32(0), 0);
    }

    function test_validate_revertsWhilePaused() public {
        PackedUserOperation memory op = _signedOp();
        vm.prank(guardian);
        hub.pause(_layer0(), INCIDENT);
        vm.expectRevert(GuardedPaymaster.GuardedPaymasterPaused.selector);
        vm.prank(address(entryPoint));
        paymaster.validatePaymasterUserOp(op, bytes32(0), 0);
    }

    function test_validate_revertsOnShortData() public {
        PackedUserOperation memory op = _op(address(account), 0);
        op.paymasterAndData = _paymasterAndData(address(paymaster), 1, 0, new bytes(64));
        vm.expectRevert(abi.encodeWithSelector(GuardedPaymaster.GuardedPaymasterInvalidDataLength.selector, 128));
        vm.prank(address(entryPoint));
        paymaster.validatePaymasterUserOp(op, bytes32(0), 0);
    }

    function test_validate_malformedSignatureFailsWithoutReverting() public {
        PackedUserOperation memory op = _op(address(account), 0);
        bytes memory garbage = new bytes(65);
        garbage[64] = 0x1f; // v = 31: not a valid recovery id
        op.paymasterAndData = _paymasterAndData(address(paymaster), uint48(START + 1 hours), 0, garbage);
        vm.prank(address(entryPoint));
        (, uint256 validationData) = paymaster.validatePaymasterUserOp(op, bytes32(0), 0);
        assertEq(validationData, _packValidationData(true, uint48(START + 1 hours), 0), "SIG_VALIDATION_FAILED");
    }

    function test_validate_signatureIsBoundToChain() public {
        PackedUserOperation memory op = _signedOp();
        vm.chainId(block.chainid + 1);
        vm.prank(address(entryPoint));
        (, uint256 validationData) = paymaster.validatePaymasterUserOp(op, bytes32(0), 0);
        assertEq(validationData & 1, 1, "other chain: signature fails");
    }

    function test_validate_signatureIsBoundToPaymaster() public {
        GuardedPaymaster twin = new GuardedPaymaster(entryPoint, address(hub), sponsor, owner);
        PackedUserOperation memory op = _signedOp();
        op.paymasterAndData = _paymasterAndData(address(twin), uint48(START + 1 hours), uint48(START - 1), _sig(op));
        vm.prank(address(entryPoint));
        (, uint256 validationData) = twin.validatePaymasterUserOp(op, bytes32(0), 0);
        assertEq(validationData & 1, 1, "other paymaster: signature fails");
    }

    function _sig(PackedUserOperation memory op) private pure returns (bytes memory sig) {
        bytes memory data = op.paymasterAndData;
        sig = new bytes(65);
        for (uint256 i = 0; i < 65; ++i) {
            sig[i] = data[data.length - 65 + i];
        }
    }

    // ================================================================ staking

    function test_staking_onlyOwner() public view {
        IStakeManager.DepositInfo memory info = entryPoint.getDepositInfo(address(paymaster));
        assertTrue(info.staked, "staked");
        assertEq(info.stake, 1 ether, "stake");
        assertEq(info.unstakeDelaySec, 1 days, "delay");
    }

    function test_staking_refusesStranger() public {
        vm.deal(stranger, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        vm.prank(stranger);
        paymaster.addStake{value: 1 ether}(1 days);
    }

    // ================================================================ fuzz

    /// @dev Any window round-trips into the validation data; only the sponsor's signature passes.
    function testFuzz_validate_packsWindow(uint48 validUntil, uint48 validAfter, bool bySponsor) public {
        (, uint256 otherKey) = makeAccount("not the sponsor");
        PackedUserOperation memory op =
            _sponsor(_op(address(account), 7), paymaster, bySponsor ? sponsorKey : otherKey, validUntil, validAfter);
        vm.prank(address(entryPoint));
        (, uint256 validationData) = paymaster.validatePaymasterUserOp(op, bytes32(0), 0);
        assertEq(validationData, _packValidationData(!bySponsor, validUntil, validAfter), "validation data");
    }

    /// @dev Changing any field covered by getHash after signing breaks the signature.
    function testFuzz_validate_everyFieldIsSigned(uint8 fieldSeed, uint256 value) public {
        PackedUserOperation memory op = _signedOp();
        uint256 field = bound(fieldSeed, 0, 9);
        uint48 validUntil = uint48(START + 1 hours);
        uint48 validAfter = uint48(START - 1);
        bytes memory sig = _sig(op);
        if (field == 0) {
            vm.assume(address(uint160(value)) != op.sender);
            op.sender = address(uint160(value));
        } else if (field == 1) {
            vm.assume(value != op.nonce);
            op.nonce = value;
        } else if (field == 2) {
            op.initCode = abi.encode(value);
        } else if (field == 3) {
            op.callData = abi.encode(value);
        } else if (field == 4) {
            vm.assume(bytes32(value) != op.accountGasLimits);
            op.accountGasLimits = bytes32(value);
        } else if (field == 5) {
            vm.assume(value != op.preVerificationGas);
            op.preVerificationGas = value;
        } else if (field == 6) {
            vm.assume(bytes32(value) != op.gasFees);
            op.gasFees = bytes32(value);
        } else if (field == 7) {
            vm.assume(uint48(value) != validUntil);
            validUntil = uint48(value);
        } else if (field == 8) {
            vm.assume(uint48(value) != validAfter);
            validAfter = uint48(value);
        }
        bytes memory paymasterAndData = _paymasterAndData(address(paymaster), validUntil, validAfter, sig);
        if (field == 9) {
            // the paymaster gas limits, bytes [20:52]
            vm.assume(uint128(value) != PAYMASTER_VERIFICATION_GAS);
            paymasterAndData = abi.encodePacked(
                address(paymaster), uint128(value), POST_OP_GAS, abi.encode(validUntil, validAfter), sig
            );
        }
        op.paymasterAndData = paymasterAndData;
        vm.prank(address(entryPoint));
        (, uint256 validationData) = paymaster.validatePaymasterUserOp(op, bytes32(0), 0);
        assertEq(validationData & 1, 1, "tampered operation must fail the signature check");
    }
}
