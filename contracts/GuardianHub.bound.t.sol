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

    /// @dev The bound: at most `duration` of sentinel pauses in any window of `duration + cooldown`.
    function invariant_atMostDurationInAnyWindow() public view {
        for (uint8 layer = 0; layer < 3; ++layer) {
            assertLe(handler.mostPausedInAWindow(layer), DURATION, "sentinel-paused time in a duration+cooldown window");
        }
    }
}
