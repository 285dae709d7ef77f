// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GuardianHub} from "../GuardianHub.sol";
import {IGuardianHub} from "../interfaces/IGuardianHub.sol";
import {TestBase} from "./TestBase.sol";

/**
 * @dev TEST ONLY. Drives a {GuardianHub} the way a thief holding several sentinel keys would, while the daemon that
 * normally releases expired pauses is down: expired pauses are released late, or never, or by the thief itself in
 * the same block as its next `sentinelPause`; the guardian sometimes unpauses, confirms, extends or pauses; time jumps
 * to the edges that matter (expiry, cooldown end, expiry + cooldown). Every call may revert: this handler does not
 * predict outcomes (GuardianHubHandler does), it measures what happened.
 *
 * The measure. Each layer has its own clock: real time minus the time an expired sentinel pause waited to be released
 * (that time is nobody's pause: anyone may end it at any moment with `releaseExpired`). On that clock, every sentinel
 * pause leaves one span: from its start until it expired, ended or the guardian took it over (confirmed, extended or
 * paused it). The invariants check the spans: none is longer than `duration`, no window of `duration + cooldown`
 * holds more than `duration` of them, and two consecutive spans are at least `cooldown` apart.
 */
contract SentinelBoundHandler is TestBase {
    /// @dev A sentinel pause, on its layer's clock.
    struct Span {
        uint64 start;
        uint64 end;
    }

    uint8 private constant LAYERS = 3;

    GuardianHub public immutable hub;
    address public immutable guardian;
    address public immutable stranger;
    uint64 public immutable duration;
    uint64 public immutable cooldown;
    address[] private _sentinels;

    // ---------------------------------------------------------------- ghost variables

    /// @dev Real time up to which each layer's time has been accounted.
    uint64[3] public observedAt;
    /// @dev Each layer's clock: real time elapsed since the campaign started, minus the waits for a release.
    uint64[3] public clock;
    /// @dev Whether the guardian took over the current sentinel pause of each layer.
    bool[3] public takenOver;
    /// @dev Real time each layer stayed paused after its sentinel pause expired, waiting for a release.
    uint256[3] public waitedForRelease;
    Span[][3] private _spans;

    /// @dev What the campaign exercised.
    uint256 public sentinelPauses;
    uint256 public releasesByThief;
    uint256 public latePauseAttempts;
    uint256 public latePausesRefused;

    constructor(GuardianHub hub_, address guardian_, address stranger_, address[] memory sentinels_) {
        hub = hub_;
        (guardian, stranger) = (guardian_, stranger_);
        _sentinels = sentinels_;
        duration = hub_.sentinelPauseDuration();
        cooldown = hub_.sentinelCooldown();
        for (uint8 layer = 0; layer < LAYERS; ++layer) {
            observedAt[layer] = uint64(block.timestamp);
        }
    }

    // ================================================================ actions

    /// @dev One of the sentinels pauses a non-empty set of layers (refused during a cooldown).
    function sentinelPause(uint256 layersSeed, uint256 sentinelSeed, bytes32 incident) external {
        _account();
        _hubCall(_sentinel(sentinelSeed), abi.encodeCall(IGuardianHub.sentinelPause, (_layers(layersSeed), incident)));
    }

    /// @dev The thief's move: once a layer's pause has expired, release it and pause it again in the same block,
    /// possibly with another sentinel key.
    function releaseAndPauseAgain(uint256 layerSeed, uint256 sentinelSeed) external {
        _account();
        uint8 layer = uint8(layerSeed % LAYERS);
        if (!hub.sentinelPauseExpired(layer)) return;
        address thief = _sentinel(sentinelSeed);
        if (_hubCall(thief, abi.encodeCall(IGuardianHub.releaseExpired, (_one(layer))))) releasesByThief += 1;
        latePauseAttempts += 1;
        bool paused = _hubCall(
            _sentinel(sentinelSeed >> 8), abi.encodeCall(IGuardianHub.sentinelPause, (_one(layer), bytes32("again")))
        );
        if (!paused) latePausesRefused += 1;
    }

    /// @dev Someone (a stranger or a sentinel) releases an expired pause: late, since time jumps in between.
    function releaseExpired(uint256 layerSeed, uint256 actorSeed) external {
        _account();
        uint8 layer = uint8(layerSeed % LAYERS);
        if (!hub.sentinelPauseExpired(layer)) return;
        address actor = actorSeed % 2 == 0 ? stranger : _sentinel(actorSeed >> 1);
        _hubCall(actor, abi.encodeCall(IGuardianHub.releaseExpired, (_one(layer))));
    }

    /// @dev The guardian acts, one time in four: unpause, confirm, pause (which confirms a sentinel pause) or extend.
    function guardianActs(uint256 layerSeed, uint256 actionSeed, uint256 untilSeed) external {
        _account();
        if (actionSeed % 4 != 0) return;
        uint8[] memory layers = _one(uint8(layerSeed % LAYERS));
        uint256 action = (actionSeed >> 2) % 4;
        bytes32 incident = bytes32("guardian");
        if (action == 0) {
            _hubCall(guardian, abi.encodeCall(IGuardianHub.unpause, (layers, incident)));
        } else if (action == 1) {
            _hubCall(guardian, abi.encodeCall(IGuardianHub.confirmPause, (layers, incident)));
        } else if (action == 2) {
            _hubCall(guardian, abi.encodeCall(IGuardianHub.pause, (layers, incident)));
        } else {
            IGuardianHub.LayerState memory s = hub.layerState(layers[0]);
            uint256 from = s.pausedUntil > block.timestamp ? s.pausedUntil : block.timestamp;
            uint64 until = uint64(from + bound(untilSeed, 1, 2 days));
            _hubCall(guardian, abi.encodeCall(IGuardianHub.extendPause, (layers, until, incident)));
        }
    }

    /// @dev Moves time forward: mostly to an edge of one layer (its expiry, its cooldown end, or its expiry plus the
    /// cooldown, one second before, at or after it), otherwise by up to three days.
    function warp(uint256 seed) external {
        _account();
        uint256 now_ = block.timestamp;
        uint256 to = now_ + bound(seed >> 32, 1, 3 days);
        uint256 mode = seed % 4;
        if (mode != 3) {
            IGuardianHub.LayerState memory s = hub.layerState(uint8((seed >> 8) % LAYERS));
            uint256 edge = mode == 0 ? s.pausedUntil : mode == 1 ? s.sentinelCooldownUntil : s.pausedUntil + cooldown;
            if (s.pausedUntil == type(uint64).max || (mode != 1 && s.pausedUntil == 0)) edge = 0;
            if (edge != 0) {
                uint256 candidate = edge + ((seed >> 12) % 3) - 1; // edge - 1, edge or edge + 1
                if (candidate > now_) to = candidate;
            }
        }
        vm.warp(to);
        _account();
    }

    // ================================================================ views for the invariants

    function spans(uint8 layer) external view returns (Span[] memory) {
        return _spans[layer];
    }

    /// @dev The longest sentinel pause span of `layer`.
    function longestSpan(uint8 layer) external view returns (uint64 longest) {
        Span[] storage list = _spans[layer];
        for (uint256 i = 0; i < list.length; ++i) {
            if (list[i].end - list[i].start > longest) longest = list[i].end - list[i].start;
        }
    }

    /// @dev The shortest time between the end of a sentinel pause span and the start of the next one of `layer`
    /// (`type(uint64).max` with fewer than two).
    function shortestGap(uint8 layer) external view returns (uint64 shortest) {
        shortest = type(uint64).max;
        Span[] storage list = _spans[layer];
        for (uint256 i = 1; i < list.length; ++i) {
            uint64 gap = list[i].start - list[i - 1].end;
            if (gap < shortest) shortest = gap;
        }
    }

    /// @dev The most sentinel-paused time of `layer` in any window of `duration + cooldown` on its clock. The
    /// maximum over all windows is reached by a window that starts where a span starts or ends where one ends.
    function mostPausedInAWindow(uint8 layer) external view returns (uint64 most) {
        Span[] storage list = _spans[layer];
        uint64 window = duration + cooldown;
        for (uint256 i = 0; i < list.length; ++i) {
            uint64 a = list[i].start;
            uint64 sum;
            for (uint256 j = i; j < list.length && list[j].start < a + window; ++j) {
                uint64 end = list[j].end < a + window ? list[j].end : a + window;
                sum += end - list[j].start;
            }
            if (sum > most) most = sum;

            uint64 b = list[i].end;
            a = b > window ? b - window : 0;
            sum = 0;
            for (uint256 j = i + 1; j > 0 && list[j - 1].end > a; --j) {
                uint64 start = list[j - 1].start > a ? list[j - 1].start : a;
                sum += list[j - 1].end - start;
            }
            if (sum > most) most = sum;
        }
    }

    /// @dev The selectors the fuzzer may call.
    function actions() external pure returns (bytes4[] memory selectors) {
        selectors = new bytes4[](5);
        selectors[0] = this.sentinelPause.selector;
        selectors[1] = this.releaseAndPauseAgain.selector;
        selectors[2] = this.releaseExpired.selector;
        selectors[3] = this.guardianActs.selector;
        selectors[4] = this.warp.selector;
    }

    // ================================================================ internals

    /// @dev Accounts each layer's time from `observedAt` to now, in the state the hub held since (nothing changes the
    /// hub between two actions, only time passes).
    function _account() private {
        uint64 now_ = uint64(block.timestamp);
        for (uint8 layer = 0; layer < LAYERS; ++layer) {
            uint64 from = observedAt[layer];
            if (now_ <= from) continue;
            IGuardianHub.LayerState memory s = hub.layerState(layer);
            if (s.paused && s.bySentinel) {
                uint64 expiry = s.pausedUntil;
                uint64 inForceUntil = now_ < expiry ? now_ : expiry;
                if (inForceUntil > from) {
                    uint64 length = inForceUntil - from;
                    if (!takenOver[layer]) {
                        Span[] storage list = _spans[layer];
                        list[list.length - 1].end += length;
                    }
                    clock[layer] += length;
                }
                uint64 waitFrom = from > expiry ? from : expiry;
                if (now_ > waitFrom) waitedForRelease[layer] += now_ - waitFrom;
            } else {
                clock[layer] += now_ - from;
            }
            observedAt[layer] = now_;
        }
    }

    /// @dev Calls the hub as `actor` and records what changed: a new sentinel pause starts a span; the guardian
    /// confirming, extending or pausing a sentinel pause takes it over.
    function _hubCall(address actor, bytes memory data) private returns (bool success) {
        IGuardianHub.LayerState[3] memory before;
        for (uint8 layer = 0; layer < LAYERS; ++layer) {
            before[layer] = hub.layerState(layer);
        }
        vm.prank(actor);
        (success,) = address(hub).call(data);
        if (!success) return false;
        bool bySentinel = actor != guardian && actor != stranger;
        for (uint8 layer = 0; layer < LAYERS; ++layer) {
            IGuardianHub.LayerState memory s = hub.layerState(layer);
            IGuardianHub.LayerState memory b = before[layer];
            if (bySentinel && s.paused && s.bySentinel && (!b.paused || b.pausedUntil != s.pausedUntil)) {
                _spans[layer].push(Span(clock[layer], clock[layer]));
                takenOver[layer] = false;
                sentinelPauses += 1;
            } else if (actor == guardian && b.paused && b.bySentinel && s.paused) {
                takenOver[layer] = true;
            }
        }
    }

    function _sentinel(uint256 seed) private view returns (address) {
        return _sentinels[seed % _sentinels.length];
    }

    function _one(uint8 layer) private pure returns (uint8[] memory layers) {
        layers = new uint8[](1);
        layers[0] = layer;
    }

    /// @dev A non-empty list of distinct layers in random order.
    function _layers(uint256 seed) private pure returns (uint8[] memory layers) {
        uint256 length = 1 + seed % 3;
        uint8[3] memory order = [uint8(0), 1, 2];
        for (uint256 i = 0; i < 3; ++i) {
            uint256 j = i + (seed >> (8 + 4 * i)) % (3 - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        layers = new uint8[](length);
        for (uint256 i = 0; i < length; ++i) {
            layers[i] = order[i];
        }
    }
}
