// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {GuardianHub} from "./GuardianHub.sol";
import {MockPausableTarget} from "./mocks/MockPausableTarget.sol";
import {SentinelBoundHandler} from "./test/SentinelBoundHandler.sol";
import {TestBase} from "./test/TestBase.sol";

/**
 * @dev Invariant campaign for the sentinel's bound: three sentinel keys in the hands of a thief, expired pauses
 * released late, never, or by the thief in the same block as its next pause, and a guardian that only sometimes acts
 * (see {SentinelBoundHandler} for the measure). Not counting the time an expired pause waited for its release, a
 * layer is never under sentinel pauses for more than `duration` in any window of `duration + cooldown`, and two
 * sentinel pauses of a layer are always at least `cooldown` apart.
 */
contract GuardianHubSentinelBoundTest is TestBase {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    uint64 internal constant DURATION = 1 days;
    uint64 internal constant COOLDOWN = 6 hours;

    GuardianHub internal hub;
    SentinelBoundHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        address admin = makeAddr("admin");
        address guardian = makeAddr("guardian");
        address deployer = makeAddr("deployer");
        hub = new GuardianHub(admin, guardian, DURATION, COOLDOWN);

        for (uint8 layer = 0; layer < 3; ++layer) {
            MockPausableTarget target = new MockPausableTarget(deployer);
            vm.prank(deployer);
            target.transferOwnership(address(hub));
            address[] memory list = new address[](1);
            list[0] = address(target);
            vm.startPrank(admin);
            hub.acceptTargetOwnership(address(target));
            hub.setLayerTargets(layer, list);
            vm.stopPrank();
        }

        address[] memory sentinels = new address[](3);
        for (uint256 i = 0; i < sentinels.length; ++i) {
            sentinels[i] = makeAddr(string.concat("sentinel-", Strings.toString(i)));
            vm.prank(guardian);
            hub.grantRole(keccak256("SENTINEL_ROLE"), sentinels[i]);
        }
        handler = new SentinelBoundHandler(hub, guardian, makeAddr("stranger"), sentinels);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory selectors) {
        selectors = new FuzzSelector[](1);
        selectors[0] = FuzzSelector({addr: address(handler), selectors: handler.actions()});
    }

    /// @dev No sentinel pause is in force for longer than `duration`.
    function invariant_eachSentinelPauseLastsAtMostDuration() public view {
        for (uint8 layer = 0; layer < 3; ++layer) {
            assertLe(handler.longestSpan(layer), DURATION, "a sentinel pause lasted longer than the duration");
        }
    }

    /// @dev The sentinel cannot chain pauses: after one ends, the layer stays out of its reach for `cooldown`.
    function invariant_sentinelPausesAreAtLeastCooldownApart() public view {
        for (uint8 layer = 0; layer < 3; ++layer) {
            uint64 gap = handler.shortestGap(layer);
            assertTrue(gap >= COOLDOWN, string.concat("two sentinel pauses only ", Strings.toString(gap), " s apart"));
        }
    }

    /// @dev The bound: at most `duration` of sentinel pauses in any window of `duration + cooldown`. Longer runs than
    /// the default: a violation needs a pause, a long wait and a release-and-pause in the right order.
    /// hardhat-config: invariant.runs = 128
    /// hardhat-config: invariant.depth = 128
    function invariant_atMostDurationInAnyWindow() public view {
        for (uint8 layer = 0; layer < 3; ++layer) {
            assertLe(handler.mostPausedInAWindow(layer), DURATION, "sentinel-paused time in a duration+cooldown window");
        }
    }

    // ================================================================ the measure itself

    /// @dev A pause released five hours late, then the thief's release-and-pause refused, then another key pausing
    /// after a full cooldown: the wait is not counted, the gap is exactly the cooldown, and the busiest window holds
    /// exactly `duration`.
    function test_measure_lateReleaseThenPauseAfterCooldown() public {
        handler.sentinelPause(0, 0, "first"); // layer 0, first key
        handler.warp(_by(DURATION + 5 hours));
        assertTrue(hub.isPaused(0), "held, unreleased");
        handler.releaseAndPauseAgain(0, 1);
        assertEq(handler.latePauseAttempts(), 1, "attempted");
        assertEq(handler.latePausesRefused(), 1, "the thief's pause is refused");
        assertFalse(hub.isPaused(0), "released");
        handler.warp(_by(COOLDOWN));
        handler.sentinelPause(0, 2, "second"); // third key
        handler.warp(_by(2 hours));

        assertEq(handler.sentinelPauses(), 2, "two sentinel pauses");
        assertEq(handler.waitedForRelease(0), 5 hours, "the wait");
        assertEq(handler.longestSpan(0), DURATION, "longest");
        assertEq(handler.shortestGap(0), COOLDOWN, "gap");
        assertEq(handler.mostPausedInAWindow(0), DURATION, "busiest window");
        assertEq(handler.clock(0), DURATION + COOLDOWN + 2 hours, "the layer's clock skips the wait");
    }

    /// @dev The guardian's confirmation ends the sentinel's span: the time after it is not the sentinel's.
    function test_measure_guardianTakeoverEndsTheSpan() public {
        handler.sentinelPause(0, 0, "first");
        handler.warp(_by(1 hours));
        handler.guardianActs(0, 1 << 2, 0); // confirmPause
        assertTrue(handler.takenOver(0), "taken over");
        handler.warp(_by(3 days));
        assertEq(handler.longestSpan(0), 1 hours, "span up to the confirmation");
        assertEq(handler.clock(0), 1 hours + 3 days, "guardian time runs on the clock");
    }

    /// @dev A `warp` seed that moves time forward by exactly `seconds_` (1 s to 3 days).
    function _by(uint256 seconds_) private pure returns (uint256) {
        return ((seconds_ - 1) << 32) | 3;
    }
}
