// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {GuardianHub} from "./GuardianHub.sol";
import {IGuardianHub} from "./interfaces/IGuardianHub.sol";
import {MockPausableTarget} from "./mocks/MockPausableTarget.sol";
import {TestBase} from "./test/TestBase.sol";
import {Vm} from "./test/Vm.sol";

/// @dev Shared fixture: a hub whose three layers are wired to hub-owned mocks of the DelegationManager.
abstract contract GuardianHubFixture is TestBase {
    uint8 internal constant ENTRY_POINT = 0;
    uint8 internal constant ACCOUNT_FACTORY = 1;
    uint8 internal constant DELEGATION = 2;

    uint64 internal constant DURATION = 1 days;
    uint64 internal constant COOLDOWN = 6 hours;
    uint64 internal constant INDEFINITE = type(uint64).max;
    uint256 internal constant START = 1_700_000_000;

    bytes32 internal constant ADMIN_ROLE = 0x00;
    bytes32 internal constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    bytes32 internal constant SENTINEL_ROLE = keccak256("SENTINEL_ROLE");

    bytes32 internal constant INCIDENT = keccak256("INC-0001");
    bytes32 internal constant OTHER_INCIDENT = keccak256("INC-0002");

    GuardianHub internal hub;
    MockPausableTarget[3] internal targets;

    address internal admin;
    address internal guardian;
    address internal sentinel;
    address internal stranger;
    address internal deployer;

    function setUp() public virtual {
        vm.warp(START);
        admin = makeAddr("admin");
        guardian = makeAddr("guardian");
        sentinel = makeAddr("sentinel");
        stranger = makeAddr("stranger");
        deployer = makeAddr("deployer");

        hub = new GuardianHub(admin, guardian, DURATION, COOLDOWN);
        vm.label(address(hub), "hub");
        vm.prank(guardian);
        hub.grantRole(SENTINEL_ROLE, sentinel);

        for (uint8 layer = 0; layer < 3; ++layer) {
            MockPausableTarget target = _hubOwnedTarget();
            targets[layer] = target;
            vm.prank(admin);
            hub.setLayerTargets(layer, _list(address(target)));
        }
    }

    /// @dev A mock created by `deployer` and handed to the hub with the two-step transfer, like the DelegationManager.
    function _hubOwnedTarget() internal returns (MockPausableTarget target) {
        target = new MockPausableTarget(deployer);
        vm.prank(deployer);
        target.transferOwnership(address(hub));
        vm.prank(admin);
        hub.acceptTargetOwnership(address(target));
    }

    function _one(uint8 a) internal pure returns (uint8[] memory layers) {
        layers = new uint8[](1);
        layers[0] = a;
    }

    function _two(uint8 a, uint8 b) internal pure returns (uint8[] memory layers) {
        layers = new uint8[](2);
        layers[0] = a;
        layers[1] = b;
    }

    function _all() internal pure returns (uint8[] memory layers) {
        layers = new uint8[](3);
        (layers[0], layers[1], layers[2]) = (ENTRY_POINT, ACCOUNT_FACTORY, DELEGATION);
    }

    function _list(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    function _sentinelPause(uint8 layer) internal {
        vm.prank(sentinel);
        hub.sentinelPause(_one(layer), INCIDENT);
    }

    function _guardianPause(uint8 layer) internal {
        vm.prank(guardian);
        hub.pause(_one(layer), INCIDENT);
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    function _assertState(
        uint8 layer,
        bool paused,
        bool bySentinel,
        uint64 pausedUntil,
        uint64 cooldownUntil,
        bytes32 incident
    ) internal view {
        IGuardianHub.LayerState memory state = hub.layerState(layer);
        assertEq(state.paused, paused, "paused");
        assertEq(state.bySentinel, bySentinel, "bySentinel");
        assertEq(state.pausedUntil, pausedUntil, "pausedUntil");
        assertEq(state.sentinelCooldownUntil, cooldownUntil, "sentinelCooldownUntil");
        assertEq(state.incident, incident, "incident");
        assertEq(hub.isPaused(layer), paused, "isPaused");
        assertEq(targets[layer].paused(), paused, "target paused");
    }
}

contract GuardianHubTest is GuardianHubFixture {
    // ================================================================ constructor

    function test_constructor_grantsRolesAndSetsBounds() public view {
        assertTrue(hub.hasRole(hub.DEFAULT_ADMIN_ROLE(), admin), "admin role");
        assertTrue(hub.hasRole(hub.GUARDIAN_ROLE(), guardian), "guardian role");
        assertFalse(hub.hasRole(hub.GUARDIAN_ROLE(), admin), "admin is no guardian");
        assertEq(hub.getRoleAdmin(hub.SENTINEL_ROLE()), hub.GUARDIAN_ROLE(), "sentinel admin role");
        assertEq(hub.getRoleAdmin(hub.GUARDIAN_ROLE()), hub.DEFAULT_ADMIN_ROLE(), "guardian admin role");
        assertEq(hub.GUARDIAN_ROLE(), keccak256("GUARDIAN_ROLE"), "GUARDIAN_ROLE");
        assertEq(hub.SENTINEL_ROLE(), keccak256("SENTINEL_ROLE"), "SENTINEL_ROLE");
        assertEq(hub.sentinelPauseDuration(), DURATION, "duration");
        assertEq(hub.sentinelCooldown(), COOLDOWN, "cooldown");
        assertEq(hub.LAYER_COUNT(), 3, "LAYER_COUNT");
    }

    function test_constructor_emitsSentinelBoundsSet() public {
        vm.expectEmit(true, true, true, true);
        emit IGuardianHub.SentinelBoundsSet(DURATION, COOLDOWN);
        new GuardianHub(admin, guardian, DURATION, COOLDOWN);
    }

    function test_constructor_revertsOnZeroAdmin() public {
        vm.expectRevert(IGuardianHub.GuardianHubZeroAddress.selector);
        new GuardianHub(address(0), guardian, DURATION, COOLDOWN);
    }

    function test_constructor_revertsOnZeroGuardian() public {
        vm.expectRevert(IGuardianHub.GuardianHubZeroAddress.selector);
        new GuardianHub(admin, address(0), DURATION, COOLDOWN);
    }

    function test_constructor_revertsOnBoundsOutOfRange() public {
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidSentinelBounds.selector, uint64(9 minutes), COOLDOWN)
        );
        new GuardianHub(admin, guardian, 9 minutes, COOLDOWN);
    }

    function test_supportsInterface() public view {
        assertTrue(hub.supportsInterface(type(IGuardianHub).interfaceId), "IGuardianHub");
        assertTrue(hub.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        assertTrue(hub.supportsInterface(type(IERC165).interfaceId), "IERC165");
        assertFalse(hub.supportsInterface(0xdeadbeef), "unknown");
    }

    // ================================================================ guardian pause

    function test_pause_pausesLayerIndefinitely() public {
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.LayerPaused(DELEGATION, guardian, INDEFINITE, false, INCIDENT);
        _guardianPause(DELEGATION);

        _assertState(DELEGATION, true, false, INDEFINITE, 0, INCIDENT);
        assertFalse(hub.sentinelPauseExpired(DELEGATION), "never expires");
        vm.expectRevert(Pausable.EnforcedPause.selector);
        targets[DELEGATION].redeem();
        _assertState(ENTRY_POINT, false, false, 0, 0, bytes32(0));
    }

    function test_pause_pausesSeveralLayersInOneTransaction() public {
        for (uint8 layer = 0; layer < 3; ++layer) {
            vm.expectEmit(true, true, true, true, address(hub));
            emit IGuardianHub.LayerPaused(layer, guardian, INDEFINITE, false, INCIDENT);
        }
        vm.prank(guardian);
        hub.pause(_all(), INCIDENT);
        for (uint8 layer = 0; layer < 3; ++layer) {
            _assertState(layer, true, false, INDEFINITE, 0, INCIDENT);
        }
    }

    function test_pause_skipsLayerAlreadyPausedByGuardian() public {
        _guardianPause(ENTRY_POINT);
        vm.recordLogs();
        vm.prank(guardian);
        hub.pause(_one(ENTRY_POINT), OTHER_INCIDENT);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        _assertState(ENTRY_POINT, true, false, INDEFINITE, 0, INCIDENT);
    }

    function test_pause_confirmsSentinelPause() public {
        _sentinelPause(ACCOUNT_FACTORY);
        vm.recordLogs();
        vm.prank(guardian);
        hub.pause(_one(ACCOUNT_FACTORY), OTHER_INCIDENT);

        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one event");
        assertEq(logs[0].topics[0], IGuardianHub.SentinelPauseConfirmed.selector, "SentinelPauseConfirmed");
        assertEq(logs[0].topics[1], bytes32(uint256(ACCOUNT_FACTORY)), "layer");
        assertEq(logs[0].topics[2], bytes32(uint256(uint160(guardian))), "by");
        assertEq(logs[0].topics[3], OTHER_INCIDENT, "incident");
        _assertState(ACCOUNT_FACTORY, true, false, INDEFINITE, uint64(START) + DURATION + COOLDOWN, INCIDENT);
    }

    function test_pause_leavesTargetPausedBySomeoneElse() public {
        // A target the hub does not own, already paused by its owner: the hub must not call pause() on it.
        MockPausableTarget foreign = new MockPausableTarget(deployer);
        vm.prank(deployer);
        foreign.pause();
        address[] memory wiring = new address[](2);
        (wiring[0], wiring[1]) = (address(targets[DELEGATION]), address(foreign));
        vm.prank(admin);
        hub.setLayerTargets(DELEGATION, wiring);

        _guardianPause(DELEGATION);
        assertTrue(foreign.paused(), "foreign paused");
        assertTrue(targets[DELEGATION].paused(), "own target paused");
    }

    function test_pause_revertsWhenTargetReverts() public {
        targets[ENTRY_POINT].setFault(MockPausableTarget.Fault.Revert);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubTargetCallFailed.selector,
                address(targets[ENTRY_POINT]),
                abi.encodeWithSelector(MockPausableTarget.MockPausableTargetFailure.selector)
            )
        );
        vm.prank(guardian);
        hub.pause(_all(), INCIDENT);
        assertFalse(hub.isPaused(DELEGATION), "all or nothing");
    }

    function test_pause_revertsWhenTargetStaysUnpaused() public {
        targets[DELEGATION].setFault(MockPausableTarget.Fault.Ignore);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubTargetStateMismatch.selector, address(targets[DELEGATION]), true
            )
        );
        _guardianPause(DELEGATION);
    }

    function test_pause_revertsWhenTargetNotOwnedByHub() public {
        MockPausableTarget foreign = new MockPausableTarget(deployer);
        vm.prank(admin);
        hub.setLayerTargets(DELEGATION, _list(address(foreign)));
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubTargetCallFailed.selector,
                address(foreign),
                abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(hub))
            )
        );
        _guardianPause(DELEGATION);
    }

    function test_pause_revertsOnUnwiredLayer() public {
        vm.prank(admin);
        hub.setLayerTargets(ENTRY_POINT, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubLayerNotWired.selector, ENTRY_POINT));
        _guardianPause(ENTRY_POINT);
    }

    function test_pause_revertsOnEmptyLayerList() public {
        vm.expectRevert(IGuardianHub.GuardianHubNoLayers.selector);
        vm.prank(guardian);
        hub.pause(new uint8[](0), INCIDENT);
    }

    function test_pause_revertsOnInvalidLayer() public {
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidLayer.selector, uint8(3)));
        vm.prank(guardian);
        hub.pause(_two(ENTRY_POINT, 3), INCIDENT);
    }

    function test_pause_revertsOnDuplicateLayer() public {
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubDuplicateLayer.selector, DELEGATION));
        vm.prank(guardian);
        hub.pause(_two(DELEGATION, DELEGATION), INCIDENT);
    }

    // ================================================================ sentinel pause

    function test_sentinelPause_pausesForDuration() public {
        uint64 until = uint64(START) + DURATION;
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.LayerPaused(ACCOUNT_FACTORY, sentinel, until, true, INCIDENT);
        _sentinelPause(ACCOUNT_FACTORY);
        _assertState(ACCOUNT_FACTORY, true, true, until, until + COOLDOWN, INCIDENT);
        assertFalse(hub.sentinelPauseExpired(ACCOUNT_FACTORY), "not expired");
    }

    function test_sentinelPause_pausesSeveralLayersInOneTransaction() public {
        uint64 until = uint64(START) + DURATION;
        for (uint8 layer = 0; layer < 3; ++layer) {
            vm.expectEmit(true, true, true, true, address(hub));
            emit IGuardianHub.LayerPaused(layer, sentinel, until, true, INCIDENT);
        }
        vm.prank(sentinel);
        hub.sentinelPause(_all(), INCIDENT);
        for (uint8 layer = 0; layer < 3; ++layer) {
            _assertState(layer, true, true, until, until + COOLDOWN, INCIDENT);
        }
    }

    function test_sentinelPause_retryIsNoOp() public {
        _sentinelPause(ENTRY_POINT);
        vm.warp(START + 1 hours);
        vm.recordLogs();
        vm.prank(sentinel);
        hub.sentinelPause(_one(ENTRY_POINT), OTHER_INCIDENT);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        uint64 until = uint64(START) + DURATION;
        _assertState(ENTRY_POINT, true, true, until, until + COOLDOWN, INCIDENT);
    }

    function test_sentinelPause_neverTouchesGuardianPause() public {
        _guardianPause(DELEGATION);
        vm.recordLogs();
        _sentinelPause(DELEGATION);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        _assertState(DELEGATION, true, false, INDEFINITE, 0, INCIDENT);
    }

    function test_sentinelPause_pausesOnlyTheLayersNotYetPaused() public {
        _guardianPause(ENTRY_POINT);
        uint64 until = uint64(START) + DURATION;
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.LayerPaused(DELEGATION, sentinel, until, true, OTHER_INCIDENT);
        vm.prank(sentinel);
        hub.sentinelPause(_two(ENTRY_POINT, DELEGATION), OTHER_INCIDENT);
        _assertState(ENTRY_POINT, true, false, INDEFINITE, 0, INCIDENT);
        _assertState(DELEGATION, true, true, until, until + COOLDOWN, OTHER_INCIDENT);
    }

    function test_sentinelPause_usesCurrentBounds() public {
        vm.prank(admin);
        hub.setSentinelBounds(2 hours, 3 hours);
        _sentinelPause(ENTRY_POINT);
        _assertState(ENTRY_POINT, true, true, uint64(START) + 2 hours, uint64(START) + 5 hours, INCIDENT);
    }

    function test_sentinelPause_revertsDuringCooldown() public {
        _sentinelPause(ENTRY_POINT);
        uint64 until = uint64(START) + DURATION;
        vm.warp(until);
        hub.releaseExpired(_one(ENTRY_POINT));

        vm.warp(until + COOLDOWN - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubSentinelCooldown.selector, ENTRY_POINT, until + COOLDOWN)
        );
        _sentinelPause(ENTRY_POINT);

        vm.warp(until + COOLDOWN);
        _sentinelPause(ENTRY_POINT);
        uint64 next = until + COOLDOWN + DURATION;
        _assertState(ENTRY_POINT, true, true, next, next + COOLDOWN, INCIDENT);
    }

    function test_sentinelPause_cooldownSurvivesGuardianUnpause() public {
        _sentinelPause(DELEGATION);
        vm.prank(guardian);
        hub.unpause(_one(DELEGATION), INCIDENT);
        uint64 cooldownUntil = uint64(START) + DURATION + COOLDOWN;
        vm.warp(cooldownUntil - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubSentinelCooldown.selector, DELEGATION, cooldownUntil)
        );
        _sentinelPause(DELEGATION);
    }

    function test_sentinelPause_cooldownOnOneLayerRevertsTheWholeCall() public {
        _sentinelPause(DELEGATION);
        vm.prank(guardian);
        hub.unpause(_one(DELEGATION), INCIDENT);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubSentinelCooldown.selector, DELEGATION, uint64(START) + DURATION + COOLDOWN
            )
        );
        vm.prank(sentinel);
        hub.sentinelPause(_two(ENTRY_POINT, DELEGATION), INCIDENT);
        assertFalse(hub.isPaused(ENTRY_POINT), "nothing paused");
    }

    /// @dev The attack the cooldown must stop: nobody released the expired pause, and a thief holding two sentinel
    /// keys waits until expiry + cooldown, then releases and pauses again in one block.
    function test_sentinelPause_thiefCannotChainPausesThroughALateRelease() public {
        address secondKey = makeAddr("second sentinel");
        vm.prank(guardian);
        hub.grantRole(SENTINEL_ROLE, secondKey);
        _sentinelPause(DELEGATION);
        uint64 releasedAt = uint64(START) + DURATION + COOLDOWN;
        vm.warp(releasedAt);
        assertTrue(hub.isPaused(DELEGATION), "an unreleased pause holds the layer");

        vm.prank(sentinel);
        hub.releaseExpired(_one(DELEGATION));
        _assertState(DELEGATION, false, false, 0, releasedAt + COOLDOWN, bytes32(0));
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubSentinelCooldown.selector, DELEGATION, releasedAt + COOLDOWN)
        );
        vm.prank(secondKey);
        hub.sentinelPause(_one(DELEGATION), INCIDENT);
        targets[DELEGATION].redeem();

        vm.warp(releasedAt + COOLDOWN - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubSentinelCooldown.selector, DELEGATION, releasedAt + COOLDOWN)
        );
        vm.prank(secondKey);
        hub.sentinelPause(_one(DELEGATION), INCIDENT);
        vm.warp(releasedAt + COOLDOWN);
        vm.prank(secondKey);
        hub.sentinelPause(_one(DELEGATION), INCIDENT);
        assertTrue(hub.isPaused(DELEGATION), "paused again after a full cooldown of service");
    }

    /// @dev A sentinel pause never extends an expired one that nobody released: the retry is skipped, expiry and
    /// cooldown stay as they were.
    function test_sentinelPause_skipsExpiredUnreleasedPause() public {
        _sentinelPause(ENTRY_POINT);
        uint64 until = uint64(START) + DURATION;
        vm.warp(until + COOLDOWN + 1);
        vm.recordLogs();
        _sentinelPause(ENTRY_POINT);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        _assertState(ENTRY_POINT, true, true, until, until + COOLDOWN, INCIDENT);
        assertTrue(hub.sentinelPauseExpired(ENTRY_POINT), "still releasable by anyone");
    }

    /// @dev The cooldown runs from the moment the guardian ends an expired sentinel pause, too.
    function test_sentinelPause_cooldownRunsFromTheGuardiansLateUnpause() public {
        _sentinelPause(DELEGATION);
        uint64 endedAt = uint64(START) + DURATION + 2 * COOLDOWN;
        vm.warp(endedAt);
        vm.prank(guardian);
        hub.unpause(_one(DELEGATION), INCIDENT);
        _assertState(DELEGATION, false, false, 0, endedAt + COOLDOWN, bytes32(0));
    }

    /// @dev When the guardian takes over an expired sentinel pause (confirm) and later unpauses, the sentinel still
    /// waits a full cooldown from the takeover.
    function test_sentinelPause_cooldownRunsFromTheGuardiansLateConfirmation() public {
        _sentinelPause(DELEGATION);
        uint64 confirmedAt = uint64(START) + DURATION + COOLDOWN + 1;
        vm.warp(confirmedAt);
        vm.prank(guardian);
        hub.confirmPause(_one(DELEGATION), INCIDENT);
        _assertState(DELEGATION, true, false, INDEFINITE, confirmedAt + COOLDOWN, INCIDENT);
        vm.prank(guardian);
        hub.unpause(_one(DELEGATION), INCIDENT);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubSentinelCooldown.selector, DELEGATION, confirmedAt + COOLDOWN)
        );
        _sentinelPause(DELEGATION);
    }

    /// @dev An extended sentinel pause released late: the cooldown runs from that release.
    function test_sentinelPause_cooldownRunsFromTheReleaseOfAnExtendedPause() public {
        _sentinelPause(ENTRY_POINT);
        uint64 newUntil = uint64(START) + 3 days;
        vm.prank(guardian);
        hub.extendPause(_one(ENTRY_POINT), newUntil, INCIDENT);
        vm.warp(newUntil + 5 hours);
        hub.releaseExpired(_one(ENTRY_POINT));
        _assertState(ENTRY_POINT, false, false, 0, newUntil + 5 hours + COOLDOWN, bytes32(0));
    }

    function test_sentinelPause_revertsOnUnwiredLayer() public {
        vm.prank(admin);
        hub.setLayerTargets(ACCOUNT_FACTORY, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubLayerNotWired.selector, ACCOUNT_FACTORY));
        _sentinelPause(ACCOUNT_FACTORY);
    }

    function test_sentinelPause_revertsWhenTargetReverts() public {
        targets[DELEGATION].setFault(MockPausableTarget.Fault.Revert);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubTargetCallFailed.selector,
                address(targets[DELEGATION]),
                abi.encodeWithSelector(MockPausableTarget.MockPausableTargetFailure.selector)
            )
        );
        _sentinelPause(DELEGATION);
    }

    function test_sentinelPause_revertsOnEmptyLayerList() public {
        vm.expectRevert(IGuardianHub.GuardianHubNoLayers.selector);
        vm.prank(sentinel);
        hub.sentinelPause(new uint8[](0), INCIDENT);
    }

    function test_sentinelPause_revertsOnInvalidLayer() public {
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidLayer.selector, uint8(255)));
        vm.prank(sentinel);
        hub.sentinelPause(_one(255), INCIDENT);
    }

    function test_sentinelPause_revertsOnDuplicateLayer() public {
        uint8[] memory layers = new uint8[](3);
        (layers[0], layers[1], layers[2]) = (ENTRY_POINT, DELEGATION, ENTRY_POINT);
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubDuplicateLayer.selector, ENTRY_POINT));
        vm.prank(sentinel);
        hub.sentinelPause(layers, INCIDENT);
    }

    // ================================================================ expiry and release

    function test_releaseExpired_oneSecondBeforeExpiry_stillPausedAndNotReleasable() public {
        _sentinelPause(ACCOUNT_FACTORY);
        uint64 until = uint64(START) + DURATION;
        vm.warp(until - 1);
        assertTrue(hub.isPaused(ACCOUNT_FACTORY), "still paused");
        assertFalse(hub.sentinelPauseExpired(ACCOUNT_FACTORY), "not expired");
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubPauseNotExpired.selector, ACCOUNT_FACTORY, until)
        );
        vm.prank(stranger);
        hub.releaseExpired(_one(ACCOUNT_FACTORY));
    }

    function test_releaseExpired_atExpiry_anyoneReleases() public {
        _sentinelPause(ACCOUNT_FACTORY);
        uint64 until = uint64(START) + DURATION;
        vm.warp(until);
        assertTrue(hub.isPaused(ACCOUNT_FACTORY), "paused until released");
        assertTrue(hub.sentinelPauseExpired(ACCOUNT_FACTORY), "expired");

        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.LayerUnpaused(ACCOUNT_FACTORY, stranger, INCIDENT, true);
        vm.prank(stranger);
        hub.releaseExpired(_one(ACCOUNT_FACTORY));

        _assertState(ACCOUNT_FACTORY, false, false, 0, until + COOLDOWN, bytes32(0));
        assertFalse(hub.sentinelPauseExpired(ACCOUNT_FACTORY), "released");
        targets[ACCOUNT_FACTORY].redeem();
    }

    function test_releaseExpired_releasesSeveralLayers() public {
        vm.prank(sentinel);
        hub.sentinelPause(_all(), INCIDENT);
        vm.warp(START + DURATION + 5 days);
        for (uint8 layer = 0; layer < 3; ++layer) {
            vm.expectEmit(true, true, true, true, address(hub));
            emit IGuardianHub.LayerUnpaused(layer, sentinel, INCIDENT, true);
        }
        vm.prank(sentinel);
        hub.releaseExpired(_all());
        for (uint8 layer = 0; layer < 3; ++layer) {
            assertFalse(targets[layer].paused(), "target released");
        }
    }

    function test_releaseExpired_revertsForGuardianPause() public {
        _guardianPause(DELEGATION);
        vm.warp(START + 365 days);
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubNotSentinelPause.selector, DELEGATION));
        hub.releaseExpired(_one(DELEGATION));
    }

    function test_releaseExpired_revertsForUnpausedLayer() public {
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubNotSentinelPause.selector, DELEGATION));
        hub.releaseExpired(_one(DELEGATION));
    }

    function test_releaseExpired_revertsWhenTargetReverts() public {
        _sentinelPause(ENTRY_POINT);
        vm.warp(START + DURATION);
        targets[ENTRY_POINT].setFault(MockPausableTarget.Fault.Revert);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubTargetCallFailed.selector,
                address(targets[ENTRY_POINT]),
                abi.encodeWithSelector(MockPausableTarget.MockPausableTargetFailure.selector)
            )
        );
        hub.releaseExpired(_one(ENTRY_POINT));
        assertTrue(hub.isPaused(ENTRY_POINT), "still paused");
    }

    function test_releaseExpired_revertsOnEmptyLayerList() public {
        vm.expectRevert(IGuardianHub.GuardianHubNoLayers.selector);
        hub.releaseExpired(new uint8[](0));
    }

    // ================================================================ confirm

    function test_confirmPause_makesSentinelPauseIndefinite() public {
        _sentinelPause(DELEGATION);
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.SentinelPauseConfirmed(DELEGATION, guardian, OTHER_INCIDENT);
        vm.prank(guardian);
        hub.confirmPause(_one(DELEGATION), OTHER_INCIDENT);

        uint64 cooldownUntil = uint64(START) + DURATION + COOLDOWN;
        _assertState(DELEGATION, true, false, INDEFINITE, cooldownUntil, INCIDENT);
        vm.warp(START + DURATION);
        assertFalse(hub.sentinelPauseExpired(DELEGATION), "no expiry");
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubNotSentinelPause.selector, DELEGATION));
        hub.releaseExpired(_one(DELEGATION));
    }

    function test_confirmPause_worksAfterExpiryBeforeRelease() public {
        _sentinelPause(DELEGATION);
        vm.warp(START + DURATION + 1);
        vm.prank(guardian);
        hub.confirmPause(_one(DELEGATION), INCIDENT);
        assertEq(hub.layerState(DELEGATION).pausedUntil, INDEFINITE, "indefinite");
    }

    function test_confirmPause_revertsForGuardianPause() public {
        _guardianPause(ENTRY_POINT);
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubNotSentinelPause.selector, ENTRY_POINT));
        vm.prank(guardian);
        hub.confirmPause(_one(ENTRY_POINT), INCIDENT);
    }

    function test_confirmPause_revertsForUnpausedLayer() public {
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubNotSentinelPause.selector, ENTRY_POINT));
        vm.prank(guardian);
        hub.confirmPause(_one(ENTRY_POINT), INCIDENT);
    }

    // ================================================================ extend

    function test_extendPause_movesExpiry() public {
        _sentinelPause(ENTRY_POINT);
        uint64 newUntil = uint64(START) + 3 days;
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.SentinelPauseExtended(ENTRY_POINT, guardian, newUntil, OTHER_INCIDENT);
        vm.prank(guardian);
        hub.extendPause(_one(ENTRY_POINT), newUntil, OTHER_INCIDENT);

        // Still a sentinel pause; the cooldown is not moved.
        _assertState(ENTRY_POINT, true, true, newUntil, uint64(START) + DURATION + COOLDOWN, INCIDENT);
        vm.warp(newUntil - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubPauseNotExpired.selector, ENTRY_POINT, newUntil)
        );
        hub.releaseExpired(_one(ENTRY_POINT));
        vm.warp(newUntil);
        hub.releaseExpired(_one(ENTRY_POINT));
        assertFalse(hub.isPaused(ENTRY_POINT), "released at new expiry");
    }

    function test_extendPause_revertsWhenNotLater() public {
        _sentinelPause(ENTRY_POINT);
        uint64 until = uint64(START) + DURATION;
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidExtension.selector, ENTRY_POINT, until));
        vm.prank(guardian);
        hub.extendPause(_one(ENTRY_POINT), until, INCIDENT);
    }

    function test_extendPause_revertsWhenNotInTheFuture() public {
        _sentinelPause(ENTRY_POINT);
        uint64 late = uint64(START) + DURATION + 10;
        vm.warp(late); // expired but not yet released
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidExtension.selector, ENTRY_POINT, late));
        vm.prank(guardian);
        hub.extendPause(_one(ENTRY_POINT), late, INCIDENT);
        vm.prank(guardian);
        hub.extendPause(_one(ENTRY_POINT), late + 1, INCIDENT);
        assertEq(hub.layerState(ENTRY_POINT).pausedUntil, late + 1, "extended");
    }

    function test_extendPause_revertsForGuardianPause() public {
        _guardianPause(DELEGATION);
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubNotSentinelPause.selector, DELEGATION));
        vm.prank(guardian);
        hub.extendPause(_one(DELEGATION), uint64(START) + 30 days, INCIDENT);
    }

    // ================================================================ unpause

    function test_unpause_endsSentinelPauseEarly() public {
        _sentinelPause(ACCOUNT_FACTORY);
        vm.warp(START + 10 minutes);
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.LayerUnpaused(ACCOUNT_FACTORY, guardian, OTHER_INCIDENT, false);
        vm.prank(guardian);
        hub.unpause(_one(ACCOUNT_FACTORY), OTHER_INCIDENT);
        _assertState(ACCOUNT_FACTORY, false, false, 0, uint64(START) + DURATION + COOLDOWN, bytes32(0));
    }

    function test_unpause_endsGuardianPauseOfSeveralLayers() public {
        vm.prank(guardian);
        hub.pause(_all(), INCIDENT);
        for (uint8 layer = 0; layer < 3; ++layer) {
            vm.expectEmit(true, true, true, true, address(hub));
            emit IGuardianHub.LayerUnpaused(layer, guardian, INCIDENT, false);
        }
        vm.prank(guardian);
        hub.unpause(_all(), INCIDENT);
        for (uint8 layer = 0; layer < 3; ++layer) {
            _assertState(layer, false, false, 0, 0, bytes32(0));
        }
    }

    function test_unpause_skipsUnpausedLayer() public {
        vm.recordLogs();
        vm.prank(guardian);
        hub.unpause(_all(), INCIDENT);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
    }

    function test_unpause_leavesTargetUnpausedBySomeoneElse() public {
        MockPausableTarget foreign = new MockPausableTarget(deployer);
        vm.prank(deployer);
        foreign.pause();
        vm.prank(admin);
        hub.setLayerTargets(DELEGATION, _list(address(foreign)));
        _guardianPause(DELEGATION); // already paused by its owner: no call
        vm.prank(deployer);
        foreign.unpause();
        vm.prank(guardian);
        hub.unpause(_one(DELEGATION), INCIDENT); // already unpaused: no call (the hub could not make it)
        assertFalse(hub.isPaused(DELEGATION), "unpaused");
    }

    function test_unpause_revertsWhenTargetReverts() public {
        _guardianPause(ACCOUNT_FACTORY);
        targets[ACCOUNT_FACTORY].setFault(MockPausableTarget.Fault.Revert);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubTargetCallFailed.selector,
                address(targets[ACCOUNT_FACTORY]),
                abi.encodeWithSelector(MockPausableTarget.MockPausableTargetFailure.selector)
            )
        );
        vm.prank(guardian);
        hub.unpause(_one(ACCOUNT_FACTORY), INCIDENT);
    }

    function test_unpause_revertsWhenTargetStaysPaused() public {
        _guardianPause(ACCOUNT_FACTORY);
        targets[ACCOUNT_FACTORY].setFault(MockPausableTarget.Fault.Ignore);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubTargetStateMismatch.selector, address(targets[ACCOUNT_FACTORY]), false
            )
        );
        vm.prank(guardian);
        hub.unpause(_one(ACCOUNT_FACTORY), INCIDENT);
    }

    // ================================================================ heartbeat

    function test_heartbeat_recordsTime() public {
        assertEq(hub.lastHeartbeat(sentinel), 0, "none yet");
        vm.warp(START + 42);
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.SentinelHeartbeat(sentinel, uint64(START + 42));
        vm.prank(sentinel);
        hub.heartbeat();
        assertEq(hub.lastHeartbeat(sentinel), START + 42, "recorded");
    }

    // ================================================================ bounds

    function test_setSentinelBounds_acceptsTheEdges() public {
        vm.startPrank(admin);
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.SentinelBoundsSet(10 minutes, 1 hours);
        hub.setSentinelBounds(10 minutes, 1 hours);
        hub.setSentinelBounds(7 days, 30 days);
        vm.stopPrank();
        assertEq(hub.sentinelPauseDuration(), 7 days, "duration");
        assertEq(hub.sentinelCooldown(), 30 days, "cooldown");
    }

    function test_setSentinelBounds_revertsOnDurationTooShort() public {
        _expectInvalidBounds(10 minutes - 1, 1 hours);
    }

    function test_setSentinelBounds_revertsOnDurationTooLong() public {
        _expectInvalidBounds(7 days + 1, 1 hours);
    }

    function test_setSentinelBounds_revertsOnCooldownTooShort() public {
        _expectInvalidBounds(1 days, 1 hours - 1);
    }

    function test_setSentinelBounds_revertsOnCooldownTooLong() public {
        _expectInvalidBounds(1 days, 30 days + 1);
    }

    function _expectInvalidBounds(uint64 duration, uint64 cooldown) private {
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidSentinelBounds.selector, duration, cooldown)
        );
        vm.prank(admin);
        hub.setSentinelBounds(duration, cooldown);
    }

    function test_setSentinelBounds_keepsPausesInForce() public {
        _sentinelPause(ENTRY_POINT);
        vm.prank(admin);
        hub.setSentinelBounds(10 minutes, 1 hours);
        uint64 until = uint64(START) + DURATION;
        _assertState(ENTRY_POINT, true, true, until, until + COOLDOWN, INCIDENT);
    }

    // ================================================================ wiring

    function test_setLayerTargets_wiresAndEmits() public {
        MockPausableTarget a = new MockPausableTarget(deployer);
        MockPausableTarget b = new MockPausableTarget(deployer);
        address[] memory wiring = new address[](2);
        (wiring[0], wiring[1]) = (address(a), address(b));
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.LayerTargetsSet(ENTRY_POINT, wiring);
        vm.prank(admin);
        hub.setLayerTargets(ENTRY_POINT, wiring);
        address[] memory wired = hub.layerTargets(ENTRY_POINT);
        assertEq(wired.length, 2, "count");
        assertEq(wired[0], address(a), "first");
        assertEq(wired[1], address(b), "second");
    }

    function test_setLayerTargets_releasesPreviousTargets() public {
        address old = address(targets[ENTRY_POINT]);
        vm.startPrank(admin);
        hub.setLayerTargets(ENTRY_POINT, new address[](0));
        hub.setLayerTargets(DELEGATION, _list(old)); // free again after unwiring
        vm.stopPrank();
        assertEq(hub.layerTargets(ENTRY_POINT).length, 0, "unwired");
        assertEq(hub.layerTargets(DELEGATION)[0], old, "rewired");
    }

    function test_setLayerTargets_acceptsMaximum() public {
        address[] memory wiring = new address[](8);
        for (uint256 i = 0; i < 8; ++i) {
            wiring[i] = address(new MockPausableTarget(deployer));
        }
        vm.prank(admin);
        hub.setLayerTargets(ENTRY_POINT, wiring);
        assertEq(hub.layerTargets(ENTRY_POINT).length, hub.MAX_TARGETS_PER_LAYER(), "eight");
    }

    function test_setLayerTargets_revertsOnTooManyTargets() public {
        address[] memory wiring = new address[](9);
        for (uint256 i = 0; i < 9; ++i) {
            wiring[i] = address(new MockPausableTarget(deployer));
        }
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubTooManyTargets.selector, ENTRY_POINT, 9));
        vm.prank(admin);
        hub.setLayerTargets(ENTRY_POINT, wiring);
    }

    function test_setLayerTargets_revertsOnZeroAddress() public {
        vm.expectRevert(IGuardianHub.GuardianHubZeroAddress.selector);
        vm.prank(admin);
        hub.setLayerTargets(ENTRY_POINT, _list(address(0)));
    }

    function test_setLayerTargets_revertsOnAccountWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubTargetNotContract.selector, stranger));
        vm.prank(admin);
        hub.setLayerTargets(ENTRY_POINT, _list(stranger));
    }

    function test_setLayerTargets_revertsOnTargetOfAnotherLayer() public {
        address taken = address(targets[DELEGATION]);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubTargetAlreadyWired.selector, taken, DELEGATION)
        );
        vm.prank(admin);
        hub.setLayerTargets(ENTRY_POINT, _list(taken));
    }

    function test_setLayerTargets_revertsOnRepeatedTarget() public {
        address fresh = address(new MockPausableTarget(deployer));
        address[] memory wiring = new address[](2);
        (wiring[0], wiring[1]) = (fresh, fresh);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianHub.GuardianHubTargetAlreadyWired.selector, fresh, ENTRY_POINT)
        );
        vm.prank(admin);
        hub.setLayerTargets(ENTRY_POINT, wiring);
    }

    function test_setLayerTargets_revertsWhileLayerPaused() public {
        _sentinelPause(ACCOUNT_FACTORY);
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubLayerIsPaused.selector, ACCOUNT_FACTORY));
        vm.prank(admin);
        hub.setLayerTargets(ACCOUNT_FACTORY, new address[](0));
    }

    function test_setLayerTargets_revertsOnInvalidLayer() public {
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidLayer.selector, uint8(3)));
        vm.prank(admin);
        hub.setLayerTargets(3, new address[](0));
    }

    function test_views_revertOnInvalidLayer() public {
        bytes memory invalid = abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidLayer.selector, uint8(7));
        vm.expectRevert(invalid);
        hub.layerState(7);
        vm.expectRevert(invalid);
        hub.isPaused(7);
        vm.expectRevert(invalid);
        hub.sentinelPauseExpired(7);
        vm.expectRevert(invalid);
        hub.layerTargets(7);
    }

    // ================================================================ target ownership

    function test_acceptTargetOwnership_takesOwnership() public {
        MockPausableTarget target = new MockPausableTarget(deployer);
        vm.prank(deployer);
        target.transferOwnership(address(hub));
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.TargetOwnershipAccepted(address(target));
        vm.prank(admin);
        hub.acceptTargetOwnership(address(target));
        assertEq(target.owner(), address(hub), "hub owns target");
    }

    function test_acceptTargetOwnership_revertsWhenNotPendingOwner() public {
        MockPausableTarget target = new MockPausableTarget(deployer);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubTargetCallFailed.selector,
                address(target),
                abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(hub))
            )
        );
        vm.prank(admin);
        hub.acceptTargetOwnership(address(target));
    }

    function test_acceptTargetOwnership_revertsOnZeroAddress() public {
        vm.expectRevert(IGuardianHub.GuardianHubZeroAddress.selector);
        vm.prank(admin);
        hub.acceptTargetOwnership(address(0));
    }

    function test_transferTargetOwnership_handsTargetBack() public {
        MockPausableTarget target = targets[DELEGATION];
        vm.prank(admin);
        hub.setLayerTargets(DELEGATION, new address[](0)); // unwire first
        vm.expectEmit(true, true, true, true, address(hub));
        emit IGuardianHub.TargetOwnershipTransferStarted(address(target), admin);
        vm.prank(admin);
        hub.transferTargetOwnership(address(target), admin);
        assertEq(target.pendingOwner(), admin, "pending");
        vm.prank(admin);
        target.acceptOwnership();
        assertEq(target.owner(), admin, "governance owns it again");
    }

    function test_transferTargetOwnership_revertsWhileTargetWired() public {
        address target = address(targets[DELEGATION]);
        vm.expectRevert(abi.encodeWithSelector(IGuardianHub.GuardianHubTargetStillWired.selector, target, DELEGATION));
        vm.prank(admin);
        hub.transferTargetOwnership(target, admin);
    }

    function test_transferTargetOwnership_revertsOnZeroNewOwner() public {
        vm.expectRevert(IGuardianHub.GuardianHubZeroAddress.selector);
        vm.prank(admin);
        hub.transferTargetOwnership(address(targets[DELEGATION]), address(0));
    }

    function test_transferTargetOwnership_revertsWhenHubIsNotOwner() public {
        MockPausableTarget target = new MockPausableTarget(deployer);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubTargetCallFailed.selector,
                address(target),
                abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(hub))
            )
        );
        vm.prank(admin);
        hub.transferTargetOwnership(address(target), admin);
    }

    // ================================================================ roles: stranger

    function test_stranger_isRefusedEverywhere() public {
        uint8[] memory layers = _one(ENTRY_POINT);
        vm.startPrank(stranger);

        vm.expectRevert(_unauthorized(stranger, GUARDIAN_ROLE));
        hub.pause(layers, INCIDENT);
        vm.expectRevert(_unauthorized(stranger, SENTINEL_ROLE));
        hub.sentinelPause(layers, INCIDENT);
        vm.expectRevert(_unauthorized(stranger, GUARDIAN_ROLE));
        hub.confirmPause(layers, INCIDENT);
        vm.expectRevert(_unauthorized(stranger, GUARDIAN_ROLE));
        hub.extendPause(layers, uint64(START + 30 days), INCIDENT);
        vm.expectRevert(_unauthorized(stranger, GUARDIAN_ROLE));
        hub.unpause(layers, INCIDENT);
        vm.expectRevert(_unauthorized(stranger, SENTINEL_ROLE));
        hub.heartbeat();
        vm.expectRevert(_unauthorized(stranger, ADMIN_ROLE));
        hub.setSentinelBounds(DURATION, COOLDOWN);
        vm.expectRevert(_unauthorized(stranger, ADMIN_ROLE));
        hub.setLayerTargets(ENTRY_POINT, new address[](0));
        vm.expectRevert(_unauthorized(stranger, ADMIN_ROLE));
        hub.acceptTargetOwnership(address(targets[ENTRY_POINT]));
        vm.expectRevert(_unauthorized(stranger, ADMIN_ROLE));
        hub.transferTargetOwnership(address(targets[ENTRY_POINT]), stranger);
        vm.expectRevert(_unauthorized(stranger, GUARDIAN_ROLE));
        hub.grantRole(SENTINEL_ROLE, stranger);
        vm.expectRevert(_unauthorized(stranger, GUARDIAN_ROLE));
        hub.revokeRole(SENTINEL_ROLE, sentinel);
        vm.expectRevert(_unauthorized(stranger, ADMIN_ROLE));
        hub.grantRole(GUARDIAN_ROLE, stranger);
        vm.expectRevert(_unauthorized(stranger, ADMIN_ROLE));
        hub.grantRole(ADMIN_ROLE, stranger);

        vm.stopPrank();
    }

    // ================================================================ roles: sentinel

    function test_sentinel_cannotUnpause() public {
        _sentinelPause(ENTRY_POINT);
        vm.expectRevert(_unauthorized(sentinel, GUARDIAN_ROLE));
        vm.prank(sentinel);
        hub.unpause(_one(ENTRY_POINT), INCIDENT);
        assertTrue(hub.isPaused(ENTRY_POINT), "still paused");
    }

    function test_sentinel_cannotReleaseBeforeExpiry() public {
        _sentinelPause(ENTRY_POINT);
        vm.warp(START + DURATION - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubPauseNotExpired.selector, ENTRY_POINT, uint64(START) + DURATION
            )
        );
        vm.prank(sentinel);
        hub.releaseExpired(_one(ENTRY_POINT));
    }

    function test_sentinel_cannotPauseIndefinitely() public {
        vm.expectRevert(_unauthorized(sentinel, GUARDIAN_ROLE));
        vm.prank(sentinel);
        hub.pause(_one(ENTRY_POINT), INCIDENT);
    }

    function test_sentinel_cannotConfirmOrExtend() public {
        _sentinelPause(ENTRY_POINT);
        vm.startPrank(sentinel);
        vm.expectRevert(_unauthorized(sentinel, GUARDIAN_ROLE));
        hub.confirmPause(_one(ENTRY_POINT), INCIDENT);
        vm.expectRevert(_unauthorized(sentinel, GUARDIAN_ROLE));
        hub.extendPause(_one(ENTRY_POINT), uint64(START + 6 days), INCIDENT);
        vm.stopPrank();
    }

    function test_sentinel_cannotTouchRoles() public {
        address other = makeAddr("other sentinel");
        vm.prank(guardian);
        hub.grantRole(SENTINEL_ROLE, other);

        vm.startPrank(sentinel);
        vm.expectRevert(_unauthorized(sentinel, GUARDIAN_ROLE));
        hub.grantRole(SENTINEL_ROLE, stranger);
        vm.expectRevert(_unauthorized(sentinel, GUARDIAN_ROLE));
        hub.revokeRole(SENTINEL_ROLE, other);
        vm.expectRevert(_unauthorized(sentinel, ADMIN_ROLE));
        hub.grantRole(GUARDIAN_ROLE, sentinel);
        vm.expectRevert(_unauthorized(sentinel, ADMIN_ROLE));
        hub.revokeRole(GUARDIAN_ROLE, guardian);
        vm.expectRevert(_unauthorized(sentinel, ADMIN_ROLE));
        hub.grantRole(ADMIN_ROLE, sentinel);
        vm.stopPrank();
    }

    function test_sentinel_cannotRewireOrRetune() public {
        vm.startPrank(sentinel);
        vm.expectRevert(_unauthorized(sentinel, ADMIN_ROLE));
        hub.setLayerTargets(ENTRY_POINT, new address[](0));
        vm.expectRevert(_unauthorized(sentinel, ADMIN_ROLE));
        hub.setSentinelBounds(7 days, 1 hours);
        vm.expectRevert(_unauthorized(sentinel, ADMIN_ROLE));
        hub.transferTargetOwnership(address(targets[DELEGATION]), sentinel);
        vm.expectRevert(_unauthorized(sentinel, ADMIN_ROLE));
        hub.acceptTargetOwnership(address(targets[DELEGATION]));
        vm.stopPrank();
    }

    function test_sentinel_cannotUnpauseTargetsDirectly() public {
        _sentinelPause(DELEGATION);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, sentinel));
        vm.prank(sentinel);
        targets[DELEGATION].unpause();
    }

    // ================================================================ roles: guardian and admin

    function test_guardian_managesSentinels() public {
        address fresh = makeAddr("fresh sentinel");
        vm.startPrank(guardian);
        hub.grantRole(SENTINEL_ROLE, fresh);
        hub.revokeRole(SENTINEL_ROLE, sentinel);
        vm.stopPrank();
        assertTrue(hub.hasRole(SENTINEL_ROLE, fresh), "granted");
        vm.expectRevert(_unauthorized(sentinel, SENTINEL_ROLE));
        _sentinelPause(ENTRY_POINT);
    }

    function test_guardian_cannotRewireOrRetune() public {
        vm.startPrank(guardian);
        vm.expectRevert(_unauthorized(guardian, ADMIN_ROLE));
        hub.setLayerTargets(ENTRY_POINT, new address[](0));
        vm.expectRevert(_unauthorized(guardian, ADMIN_ROLE));
        hub.setSentinelBounds(DURATION, COOLDOWN);
        vm.expectRevert(_unauthorized(guardian, ADMIN_ROLE));
        hub.grantRole(GUARDIAN_ROLE, stranger);
        vm.stopPrank();
    }

    function test_admin_managesGuardiansButNotSentinelsOrPauses() public {
        address newGuardian = makeAddr("new guardian");
        vm.startPrank(admin);
        hub.grantRole(GUARDIAN_ROLE, newGuardian);
        vm.expectRevert(_unauthorized(admin, GUARDIAN_ROLE));
        hub.grantRole(SENTINEL_ROLE, stranger);
        vm.expectRevert(_unauthorized(admin, GUARDIAN_ROLE));
        hub.pause(_one(ENTRY_POINT), INCIDENT);
        vm.stopPrank();
        assertTrue(hub.hasRole(GUARDIAN_ROLE, newGuardian), "new guardian");
    }

    // ================================================================ fuzz

    function testFuzz_setSentinelBounds(uint64 duration, uint64 cooldown) public {
        bool valid = duration >= 10 minutes && duration <= 7 days && cooldown >= 1 hours && cooldown <= 30 days;
        if (!valid) {
            vm.expectRevert(
                abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidSentinelBounds.selector, duration, cooldown)
            );
        }
        vm.prank(admin);
        hub.setSentinelBounds(duration, cooldown);
        if (valid) {
            assertEq(hub.sentinelPauseDuration(), duration, "duration");
            assertEq(hub.sentinelCooldown(), cooldown, "cooldown");
        }
    }

    /// @dev Whatever valid duration, a sentinel pause lasts exactly that long: paused before, releasable from then on.
    function testFuzz_sentinelPauseExpiry(uint64 durationSeed, uint256 offsetSeed) public {
        uint64 duration = uint64(bound(durationSeed, 10 minutes, 7 days));
        vm.prank(admin);
        hub.setSentinelBounds(duration, COOLDOWN);
        _sentinelPause(ENTRY_POINT);
        uint64 until = uint64(START) + duration;

        // Offsets cluster around the boundary: [-2 duration, +2 duration] with the edges reachable.
        int256 offset = int256(bound(offsetSeed, 0, 4 * uint256(duration))) - int256(2 * uint256(duration));
        uint256 at = uint256(int256(uint256(until)) + offset);
        vm.assume(at >= START);
        vm.warp(at);

        assertTrue(hub.isPaused(ENTRY_POINT), "paused until released");
        if (at < until) {
            assertFalse(hub.sentinelPauseExpired(ENTRY_POINT), "not expired");
            vm.expectRevert(
                abi.encodeWithSelector(IGuardianHub.GuardianHubPauseNotExpired.selector, ENTRY_POINT, until)
            );
            hub.releaseExpired(_one(ENTRY_POINT));
        } else {
            assertTrue(hub.sentinelPauseExpired(ENTRY_POINT), "expired");
            hub.releaseExpired(_one(ENTRY_POINT));
            assertFalse(targets[ENTRY_POINT].paused(), "released");
        }
    }

    /// @dev After a sentinel pause ends (the guardian's unpause, or a release on time or late), the sentinel may pause
    /// the layer again exactly from the later of `pausedUntil + cooldown` and the end + cooldown.
    function testFuzz_sentinelCooldown(uint64 cooldownSeed, uint256 endSeed, uint256 waitSeed, bool byGuardian)
        public
    {
        uint64 cooldown = uint64(bound(cooldownSeed, 1 hours, 30 days));
        vm.prank(admin);
        hub.setSentinelBounds(DURATION, cooldown);
        _sentinelPause(DELEGATION);

        // The pause ends anywhere from its first second to well after expiry + cooldown.
        uint64 endedAt = uint64(bound(endSeed, START, START + DURATION + 3 * uint256(cooldown)));
        if (!byGuardian && endedAt < START + DURATION) endedAt = uint64(START) + DURATION;
        vm.warp(endedAt);
        if (byGuardian) {
            vm.prank(guardian);
            hub.unpause(_one(DELEGATION), INCIDENT);
        } else {
            hub.releaseExpired(_one(DELEGATION));
        }
        uint64 fromExpiry = uint64(START) + DURATION + cooldown;
        uint64 cooldownUntil = endedAt + cooldown > fromExpiry ? endedAt + cooldown : fromExpiry;
        assertEq(hub.layerState(DELEGATION).sentinelCooldownUntil, cooldownUntil, "cooldown");

        uint256 at = bound(waitSeed, endedAt, uint256(cooldownUntil) + cooldown);
        vm.warp(at);
        if (at < cooldownUntil) {
            vm.expectRevert(
                abi.encodeWithSelector(IGuardianHub.GuardianHubSentinelCooldown.selector, DELEGATION, cooldownUntil)
            );
            _sentinelPause(DELEGATION);
        } else {
            _sentinelPause(DELEGATION);
            assertEq(hub.layerState(DELEGATION).pausedUntil, at + DURATION, "paused again");
        }
    }

    /// @dev Any layer list either is rejected with the first fault in it, or pauses exactly the listed layers.
    function testFuzz_sentinelPauseLayerLists(uint8[] memory input) public {
        uint8[] memory layers = new uint8[](input.length < 6 ? input.length : 6);
        for (uint256 i = 0; i < layers.length; ++i) {
            layers[i] = input[i];
        }
        bytes memory expected;
        uint256 seen;
        if (layers.length == 0) expected = abi.encodeWithSelector(IGuardianHub.GuardianHubNoLayers.selector);
        for (uint256 i = 0; i < layers.length && expected.length == 0; ++i) {
            uint8 layer = layers[i] % 5; // mostly valid ids, some invalid
            layers[i] = layer;
            if (layer >= 3) {
                expected = abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidLayer.selector, layer);
            } else if (seen & (1 << layer) != 0) {
                expected = abi.encodeWithSelector(IGuardianHub.GuardianHubDuplicateLayer.selector, layer);
            }
            seen |= 1 << layer;
        }
        if (expected.length != 0) vm.expectRevert(expected);
        vm.prank(sentinel);
        hub.sentinelPause(layers, INCIDENT);
        for (uint8 layer = 0; layer < 3; ++layer) {
            bool listed = expected.length == 0 && seen & (1 << layer) != 0;
            assertEq(hub.isPaused(layer), listed, "paused iff listed");
            assertEq(targets[layer].paused(), listed, "target paused iff listed");
        }
    }

    /// @dev The guardian may extend to any later time, and the pause then lasts exactly until then.
    function testFuzz_extendPause(uint64 until, uint256 elapsedSeed) public {
        _sentinelPause(ENTRY_POINT);
        uint64 current = uint64(START) + DURATION;
        uint256 elapsed = bound(elapsedSeed, 0, 2 * uint256(DURATION));
        vm.warp(START + elapsed);
        bool valid = until > START + elapsed && until > current;
        if (!valid) {
            vm.expectRevert(
                abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidExtension.selector, ENTRY_POINT, until)
            );
        }
        vm.prank(guardian);
        hub.extendPause(_one(ENTRY_POINT), until, INCIDENT);
        IGuardianHub.LayerState memory state = hub.layerState(ENTRY_POINT);
        assertEq(state.pausedUntil, valid ? until : current, "pausedUntil");
        assertTrue(state.bySentinel, "still a sentinel pause");
    }

    /// @dev Nobody but the guardian can end a pause before its expiry, whatever role they hold.
    function testFuzz_onlyGuardianUnpausesEarly(address caller, uint256 elapsedSeed) public {
        vm.assume(caller != guardian);
        _sentinelPause(ACCOUNT_FACTORY);
        uint256 elapsed = bound(elapsedSeed, 0, DURATION - 1);
        vm.warp(START + elapsed);
        vm.expectRevert(_unauthorized(caller, GUARDIAN_ROLE));
        vm.prank(caller);
        hub.unpause(_one(ACCOUNT_FACTORY), INCIDENT);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianHub.GuardianHubPauseNotExpired.selector, ACCOUNT_FACTORY, uint64(START) + DURATION
            )
        );
        vm.prank(caller);
        hub.releaseExpired(_one(ACCOUNT_FACTORY));
        assertTrue(hub.isPaused(ACCOUNT_FACTORY), "still paused");
    }
}
