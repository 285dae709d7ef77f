// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.24;

import {EntryPoint} from "@account-abstraction/contracts/core/EntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {GuardedAccountFactory} from "./GuardedAccountFactory.sol";
import {GuardedPaymaster} from "./GuardedPaymaster.sol";
import {GuardianHub} from "./GuardianHub.sol";
import {IGuardianHub} from "./interfaces/IGuardianHub.sol";
import {IPausableTarget} from "./interfaces/IPausableTarget.sol";
import {MockPausableTarget} from "./mocks/MockPausableTarget.sol";
import {GuardianHubHandler} from "./test/GuardianHubHandler.sol";
import {TestAccount} from "./test/TestAccount.sol";
import {TestBase} from "./test/TestBase.sol";

/**
 * @dev Invariant campaign over the whole stack: the hub wired to the real guarded paymaster (layer 0, with a real
 * EntryPoint v0.7), the guarded factory plus a second target (layer 1), and a DelegationManager stand-in owned by the
 * hub (layer 2). The {GuardianHubHandler} calls every hub function as the right or a wrong actor and moves time.
 */
contract GuardianHubInvariantTest is TestBase {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    uint256 private constant START = 1_700_000_000;

    GuardianHub internal hub;
    GuardianHubHandler internal handler;
    EntryPoint internal entryPoint;
    GuardedPaymaster internal paymaster;
    GuardedAccountFactory internal factory;
    MockPausableTarget internal factorySidecar;
    MockPausableTarget internal delegationManager;

    PackedUserOperation internal op;
    bytes internal accountCode;

    function setUp() public {
        vm.warp(START);
        address admin = makeAddr("admin");
        address guardian = makeAddr("guardian");
        address sentinel = makeAddr("sentinel");
        address stranger = makeAddr("stranger");
        address deployer = makeAddr("deployer");

        hub = new GuardianHub(admin, guardian, 1 days, 6 hours);
        entryPoint = new EntryPoint();
        paymaster = new GuardedPaymaster(entryPoint, address(hub), makeAddr("sponsor"), deployer);
        factory = new GuardedAccountFactory(address(hub), deployer);
        factorySidecar = _hubOwnedMock(deployer, admin);
        delegationManager = _hubOwnedMock(deployer, admin);

        vm.startPrank(admin);
        hub.setLayerTargets(0, _list(address(paymaster)));
        address[] memory layer1 = new address[](2);
        (layer1[0], layer1[1]) = (address(factory), address(factorySidecar));
        hub.setLayerTargets(1, layer1);
        hub.setLayerTargets(2, _list(address(delegationManager)));
        vm.stopPrank();

        vm.prank(guardian);
        hub.grantRole(keccak256("SENTINEL_ROLE"), sentinel);

        handler = new GuardianHubHandler(hub, admin, guardian, sentinel, stranger);

        // An operation for the paymaster probe: the signature is junk, which is fine (an unpaused paymaster
        // returns SIG_VALIDATION_FAILED; a paused one must revert before looking at it).
        op.sender = makeAddr("account");
        op.paymasterAndData = abi.encodePacked(
            address(paymaster), uint128(100_000), uint128(0), abi.encode(uint48(0), uint48(0)), new bytes(65)
        );
        accountCode = abi.encodePacked(type(TestAccount).creationCode, abi.encode(address(entryPoint)));
    }

    function _hubOwnedMock(address deployer, address admin) private returns (MockPausableTarget target) {
        target = new MockPausableTarget(deployer);
        vm.prank(deployer);
        target.transferOwnership(address(hub));
        vm.prank(admin);
        hub.acceptTargetOwnership(address(target));
    }

    function _list(address a) private pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory selectors) {
        selectors = new FuzzSelector[](1);
        selectors[0] = FuzzSelector({addr: address(handler), selectors: handler.actions()});
    }

    // ================================================================ invariants

    /// @dev Every call succeeded or reverted exactly as the specification's model predicts, and the hub's state
    /// equals the model's.
    function invariant_hubFollowsTheSpecification() public view {
        assertEq(handler.mismatches(), 0, handler.lastMismatch());
        for (uint8 layer = 0; layer < 3; ++layer) {
            IGuardianHub.LayerState memory state = hub.layerState(layer);
            GuardianHubHandler.Model memory m = handler.model(layer);
            assertEq(state.paused, m.paused, "paused");
            assertEq(state.bySentinel, m.bySentinel, "bySentinel");
            assertEq(state.pausedUntil, m.pausedUntil, "pausedUntil");
            assertEq(state.sentinelCooldownUntil, m.cooldownUntil, "sentinelCooldownUntil");
            assertEq(state.incident, m.incident, "incident");
        }
        (uint64 duration, uint64 cooldown) = handler.modelBounds();
        assertEq(hub.sentinelPauseDuration(), duration, "duration");
        assertEq(hub.sentinelCooldown(), cooldown, "cooldown");
    }

    /// @dev (a) A sentinel pause never lasts past its start plus MAX_SENTINEL_PAUSE_DURATION unless the guardian
    /// confirmed or extended it.
    function invariant_sentinelPauseIsBounded() public view {
        uint64 max = hub.MAX_SENTINEL_PAUSE_DURATION();
        for (uint8 layer = 0; layer < 3; ++layer) {
            IGuardianHub.LayerState memory state = hub.layerState(layer);
            if (!state.paused || !state.bySentinel || handler.guardianProlonged(layer)) continue;
            assertLe(state.pausedUntil, handler.sentinelPausedAt(layer) + max, "sentinel pause too long");
            assertLe(state.pausedUntil, block.timestamp + max, "sentinel pause ends too late");
        }
    }

    /// @dev (b) Only the guardian ends a pause before its expiry.
    function invariant_onlyGuardianUnpausesEarly() public view {
        assertEq(handler.earlyUnpausesByOthers(), 0, "a pause ended early without the guardian");
    }

    /// @dev (c) The hub and its targets agree, both ways.
    function invariant_targetsAgreeWithHub() public view {
        for (uint8 layer = 0; layer < 3; ++layer) {
            bool paused = hub.isPaused(layer);
            address[] memory targets = hub.layerTargets(layer);
            assertTrue(targets.length > 0, "layer wired");
            for (uint256 i = 0; i < targets.length; ++i) {
                assertEq(IPausableTarget(targets[i]).paused(), paused, "target state differs from the hub");
            }
        }
    }

    /// @dev (d) While a layer is paused, its guarded entry points refuse; while it is not, they serve.
    function invariant_guardedEntriesRefuseWhilePaused() public {
        // Layer 0: the paymaster's validation, called as the EntryPoint would.
        vm.prank(address(entryPoint));
        try paymaster.validatePaymasterUserOp(op, bytes32(0), 0) returns (bytes memory, uint256 validationData) {
            assertFalse(hub.isPaused(0), "paymaster sponsored while paused");
            assertEq(validationData & 1, 1, "junk signature fails");
        } catch (bytes memory reason) {
            assertTrue(hub.isPaused(0), "paymaster refused while not paused");
            assertEq(reason, abi.encodeWithSelector(GuardedPaymaster.GuardedPaymasterPaused.selector), "reason");
        }

        // Layer 1: account creation and the second target.
        if (hub.isPaused(1)) {
            try factory.deploy(accountCode, bytes32(block.timestamp)) returns (address) {
                fail("factory deployed while paused");
            } catch (bytes memory reason) {
                assertEq(
                    reason, abi.encodeWithSelector(GuardedAccountFactory.GuardedAccountFactoryPaused.selector), "reason"
                );
            }
            _assertRedeemRefused(factorySidecar);
        } else {
            assertFalse(factory.paused(), "factory paused while layer is not");
            factorySidecar.redeem();
        }

        // Layer 2: delegation redemption.
        if (hub.isPaused(2)) {
            _assertRedeemRefused(delegationManager);
        } else {
            delegationManager.redeem();
        }
    }

    function _assertRedeemRefused(MockPausableTarget target) private {
        try target.redeem() {
            fail("redeemed while paused");
        } catch (bytes memory reason) {
            assertEq(reason, abi.encodeWithSelector(Pausable.EnforcedPause.selector), "reason");
        }
    }
}
