// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {GuardianHub} from "../GuardianHub.sol";
import {IGuardianHub} from "../interfaces/IGuardianHub.sol";
import {TestBase} from "./TestBase.sol";

/**
 * @dev TEST ONLY. Drives a {GuardianHub} for the invariant campaign: every action picks its actor (mostly the right
 * role, sometimes a wrong one), a layer list (mostly valid, sometimes empty, out of range or repeated) and its
 * arguments from the fuzzer's seeds, predicts the outcome from a reference model of the specification, calls the
 * hub, and records in ghost variables whatever the invariants check: mismatches between prediction and outcome,
 * when each sentinel pause was made and whether the guardian prolonged it, and any layer unpaused before its expiry
 * by someone other than the guardian.
 */
contract GuardianHubHandler is TestBase {
    /// @dev The specification's view of one layer.
    struct Model {
        bool paused;
        bool bySentinel;
        uint64 pausedUntil;
        uint64 cooldownUntil;
        bytes32 incident;
    }

    bytes32 private constant ADMIN_ROLE = 0x00;
    bytes32 private constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    bytes32 private constant SENTINEL_ROLE = keccak256("SENTINEL_ROLE");
    uint64 private constant INDEFINITE = type(uint64).max;
    uint8 private constant LAYERS = 3;

    GuardianHub public immutable hub;
    address public immutable admin;
    address public immutable guardian;
    address public immutable sentinel;
    address public immutable stranger;

    Model[3] private _model;
    uint64 private _duration;
    uint64 private _cooldown;

    // ---------------------------------------------------------------- ghost variables

    /// @dev When the current sentinel pause of each layer was made.
    uint64[3] public sentinelPausedAt;
    /// @dev Whether the guardian confirmed or extended the current sentinel pause of each layer.
    bool[3] public guardianProlonged;
    /// @dev Layers that went from paused to unpaused before their expiry through anyone but the guardian's unpause.
    uint256 public earlyUnpausesByOthers;
    /// @dev Calls whose outcome (success or exact revert data) differed from the model's prediction.
    uint256 public mismatches;
    string public lastMismatch;
    /// @dev Successful calls per action, to see what a campaign exercised.
    mapping(string action => uint256) public successes;
    /// @dev Calls that reverted as predicted, per revert selector (e.g. how often the cooldown refused a pause).
    mapping(bytes4 selector => uint256) public refusals;

    constructor(GuardianHub hub_, address admin_, address guardian_, address sentinel_, address stranger_) {
        hub = hub_;
        (admin, guardian, sentinel, stranger) = (admin_, guardian_, sentinel_, stranger_);
        _duration = hub_.sentinelPauseDuration();
        _cooldown = hub_.sentinelCooldown();
    }

    // ================================================================ actions

    function sentinelPause(uint256 layersSeed, uint256 actorSeed, bytes32 incident) external {
        address actor = _actor(actorSeed, sentinel);
        uint8[] memory layers = _layerList(layersSeed);
        Model[3] memory next = _copy();
        bytes memory err = _roleOr(actor, SENTINEL_ROLE, _listError(layers));
        uint64 now_ = uint64(block.timestamp);
        for (uint256 i = 0; err.length == 0 && i < layers.length; ++i) {
            Model memory m = next[layers[i]];
            if (m.paused) continue;
            if (now_ < m.cooldownUntil) {
                err = abi.encodeWithSelector(
                    IGuardianHub.GuardianHubSentinelCooldown.selector, layers[i], m.cooldownUntil
                );
                break;
            }
            (m.paused, m.bySentinel, m.pausedUntil, m.incident) = (true, true, now_ + _duration, incident);
            m.cooldownUntil = m.pausedUntil + _cooldown;
        }
        if (_call("sentinelPause", actor, abi.encodeCall(IGuardianHub.sentinelPause, (layers, incident)), err, false)) {
            for (uint256 i = 0; i < layers.length; ++i) {
                uint8 layer = layers[i];
                if (!_model[layer].paused) {
                    sentinelPausedAt[layer] = now_;
                    guardianProlonged[layer] = false;
                }
            }
            _commit(next);
        }
    }

    function guardianPause(uint256 layersSeed, uint256 actorSeed, bytes32 incident) external {
        address actor = _actor(actorSeed, guardian);
        uint8[] memory layers = _layerList(layersSeed);
        Model[3] memory next = _copy();
        bytes memory err = _roleOr(actor, GUARDIAN_ROLE, _listError(layers));
        for (uint256 i = 0; err.length == 0 && i < layers.length; ++i) {
            Model memory m = next[layers[i]];
            if (m.paused && !m.bySentinel) continue;
            if (m.paused) _restartCooldown(m);
            else m.incident = incident;
            (m.paused, m.bySentinel, m.pausedUntil) = (true, false, INDEFINITE);
        }
        if (_call("guardianPause", actor, abi.encodeCall(IGuardianHub.pause, (layers, incident)), err, false)) {
            for (uint256 i = 0; i < layers.length; ++i) {
                if (_model[layers[i]].bySentinel) guardianProlonged[layers[i]] = true;
            }
            _commit(next);
        }
    }

    function confirmPause(uint256 layersSeed, uint256 actorSeed, bytes32 incident) external {
        address actor = _actor(actorSeed, guardian);
        uint8[] memory layers = _layerList(layersSeed);
        Model[3] memory next = _copy();
        bytes memory err = _roleOr(actor, GUARDIAN_ROLE, _listError(layers));
        for (uint256 i = 0; err.length == 0 && i < layers.length; ++i) {
            Model memory m = next[layers[i]];
            if (!m.paused || !m.bySentinel) {
                err = abi.encodeWithSelector(IGuardianHub.GuardianHubNotSentinelPause.selector, layers[i]);
                break;
            }
            _restartCooldown(m);
            (m.bySentinel, m.pausedUntil) = (false, INDEFINITE);
        }
        if (_call("confirmPause", actor, abi.encodeCall(IGuardianHub.confirmPause, (layers, incident)), err, false)) {
            for (uint256 i = 0; i < layers.length; ++i) {
                guardianProlonged[layers[i]] = true;
            }
            _commit(next);
        }
    }

    function extendPause(uint256 layersSeed, uint256 actorSeed, uint256 untilSeed, bytes32 incident) external {
        address actor = _actor(actorSeed, guardian);
        uint8[] memory layers = _layerList(layersSeed);
        uint64 until = _extensionTime(untilSeed, layers);
        Model[3] memory next = _copy();
        bytes memory err = _roleOr(actor, GUARDIAN_ROLE, _listError(layers));
        for (uint256 i = 0; err.length == 0 && i < layers.length; ++i) {
            Model memory m = next[layers[i]];
            if (!m.paused || !m.bySentinel) {
                err = abi.encodeWithSelector(IGuardianHub.GuardianHubNotSentinelPause.selector, layers[i]);
            } else if (until <= block.timestamp || until <= m.pausedUntil) {
                err = abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidExtension.selector, layers[i], until);
            } else {
                m.pausedUntil = until;
            }
        }
        bytes memory data = abi.encodeCall(IGuardianHub.extendPause, (layers, until, incident));
        if (_call("extendPause", actor, data, err, false)) {
            for (uint256 i = 0; i < layers.length; ++i) {
                guardianProlonged[layers[i]] = true;
            }
            _commit(next);
        }
    }

    function unpause(uint256 layersSeed, uint256 actorSeed, bytes32 incident) external {
        address actor = _actor(actorSeed, guardian);
        uint8[] memory layers = _layerList(layersSeed);
        Model[3] memory next = _copy();
        bytes memory err = _roleOr(actor, GUARDIAN_ROLE, _listError(layers));
        for (uint256 i = 0; err.length == 0 && i < layers.length; ++i) {
            Model memory m = next[layers[i]];
            if (m.paused && m.bySentinel) _restartCooldown(m);
            _clear(m);
        }
        bool guardianUnpause = actor == guardian;
        if (_call("unpause", actor, abi.encodeCall(IGuardianHub.unpause, (layers, incident)), err, guardianUnpause)) {
            _commit(next);
        }
    }

    function releaseExpired(uint256 layersSeed, uint256 actorSeed) external {
        address actor = _anyone(actorSeed);
        uint8[] memory layers = _layerList(layersSeed);
        Model[3] memory next = _copy();
        bytes memory err = _listError(layers);
        for (uint256 i = 0; err.length == 0 && i < layers.length; ++i) {
            Model memory m = next[layers[i]];
            if (!m.paused || !m.bySentinel) {
                err = abi.encodeWithSelector(IGuardianHub.GuardianHubNotSentinelPause.selector, layers[i]);
            } else if (block.timestamp < m.pausedUntil) {
                err = abi.encodeWithSelector(
                    IGuardianHub.GuardianHubPauseNotExpired.selector, layers[i], m.pausedUntil
                );
            } else {
                _restartCooldown(m);
                _clear(m);
            }
        }
        if (_call("releaseExpired", actor, abi.encodeCall(IGuardianHub.releaseExpired, (layers)), err, false)) {
            _commit(next);
        }
    }

    function heartbeat(uint256 actorSeed) external {
        address actor = _actor(actorSeed, sentinel);
        bytes memory err = _roleOr(actor, SENTINEL_ROLE, "");
        if (_call("heartbeat", actor, abi.encodeCall(IGuardianHub.heartbeat, ()), err, false)) {
            if (hub.lastHeartbeat(actor) != block.timestamp) _mismatch("heartbeat not recorded");
        }
    }

    function setSentinelBounds(uint256 durationSeed, uint256 cooldownSeed, uint256 actorSeed) external {
        address actor = _actor(actorSeed, admin);
        // Mostly within bounds, edges included; one seed in eight just outside.
        uint64 duration = uint64(bound(durationSeed, 10 minutes, 7 days));
        uint64 cooldown = uint64(bound(cooldownSeed, 1 hours, 30 days));
        if (durationSeed % 8 == 0) duration = durationSeed % 2 == 0 ? 10 minutes - 1 : 7 days + 1;
        if (cooldownSeed % 8 == 0) cooldown = cooldownSeed % 2 == 0 ? 1 hours - 1 : 30 days + 1;
        bool valid = duration >= 10 minutes && duration <= 7 days && cooldown >= 1 hours && cooldown <= 30 days;
        bytes memory err = valid
            ? bytes("")
            : abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidSentinelBounds.selector, duration, cooldown);
        err = _roleOr(actor, ADMIN_ROLE, err);
        bytes memory data = abi.encodeCall(IGuardianHub.setSentinelBounds, (duration, cooldown));
        if (_call("setSentinelBounds", actor, data, err, false)) {
            (_duration, _cooldown) = (duration, cooldown);
        }
    }

    /// @dev Re-wires a layer to its own targets: refused while the layer is paused, a no-op otherwise.
    function rewire(uint256 layerSeed, uint256 actorSeed) external {
        address actor = _actor(actorSeed, admin);
        uint8 layer = uint8(layerSeed % LAYERS);
        address[] memory wired = hub.layerTargets(layer);
        bytes memory err = _model[layer].paused
            ? abi.encodeWithSelector(IGuardianHub.GuardianHubLayerIsPaused.selector, layer)
            : bytes("");
        err = _roleOr(actor, ADMIN_ROLE, err);
        _call("rewire", actor, abi.encodeCall(IGuardianHub.setLayerTargets, (layer, wired)), err, false);
    }

    /// @dev Moves time forward: often to a pause expiry or cooldown end (one second before, at, or after it).
    function warp(uint256 seed) external {
        uint256 now_ = block.timestamp;
        uint256 to = now_ + bound(seed >> 16, 1, 2 days);
        if (seed % 2 == 0) {
            Model memory m = _model[(seed >> 8) % LAYERS];
            uint256 edge = (seed >> 4) % 2 == 0 ? m.pausedUntil : m.cooldownUntil;
            if (edge != INDEFINITE && edge != 0) {
                uint256 candidate = edge + ((seed >> 12) % 3) - 1; // edge - 1, edge or edge + 1
                if (candidate > now_) to = candidate;
            }
        }
        vm.warp(to);
        successes["warp"] += 1;
    }

    // ================================================================ views for the invariants

    function model(uint8 layer) external view returns (Model memory) {
        return _model[layer];
    }

    function modelBounds() external view returns (uint64 duration, uint64 cooldown) {
        return (_duration, _cooldown);
    }

    /// @dev The selectors the fuzzer may call.
    function actions() external pure returns (bytes4[] memory selectors) {
        selectors = new bytes4[](10);
        selectors[0] = this.sentinelPause.selector;
        selectors[1] = this.guardianPause.selector;
        selectors[2] = this.confirmPause.selector;
        selectors[3] = this.extendPause.selector;
        selectors[4] = this.unpause.selector;
        selectors[5] = this.releaseExpired.selector;
        selectors[6] = this.heartbeat.selector;
        selectors[7] = this.setSentinelBounds.selector;
        selectors[8] = this.rewire.selector;
        selectors[9] = this.warp.selector;
    }

    // ================================================================ internals

    /// @dev Calls the hub as `actor`, compares the outcome with `expectedError` (empty = success), and checks that
    /// no layer was unpaused before its expiry unless this is the guardian's unpause.
    function _call(
        string memory action,
        address actor,
        bytes memory data,
        bytes memory expectedError,
        bool guardianUnpause
    ) private returns (bool success)
    {
        IGuardianHub.LayerState[3] memory before;
        for (uint8 layer = 0; layer < LAYERS; ++layer) {
            before[layer] = hub.layerState(layer);
        }

        vm.prank(actor);
        bytes memory result;
        (success, result) = address(hub).call(data);

        if (expectedError.length == 0 && !success) {
            _mismatch(string.concat(action, ": unexpected revert"));
        } else if (expectedError.length != 0 && success) {
            _mismatch(string.concat(action, ": expected a revert"));
        } else if (!success && keccak256(result) != keccak256(expectedError)) {
            _mismatch(string.concat(action, ": wrong revert data"));
        }
        if (success) successes[action] += 1;
        else if (expectedError.length >= 4) refusals[bytes4(expectedError)] += 1;

        for (uint8 layer = 0; layer < LAYERS; ++layer) {
            bool unpausedNow = before[layer].paused && !hub.isPaused(layer);
            if (unpausedNow && block.timestamp < before[layer].pausedUntil && !guardianUnpause) {
                earlyUnpausesByOthers += 1;
            }
        }
    }

    function _mismatch(string memory message) private {
        mismatches += 1;
        lastMismatch = message;
    }

    function _copy() private view returns (Model[3] memory copy) {
        for (uint8 layer = 0; layer < LAYERS; ++layer) {
            copy[layer] = _model[layer];
        }
    }

    function _commit(Model[3] memory next) private {
        for (uint8 layer = 0; layer < LAYERS; ++layer) {
            _model[layer] = next[layer];
        }
    }

    /// @dev A sentinel pause ends now: the cooldown runs from now, unless the one it was made with ends later.
    function _restartCooldown(Model memory m) private view {
        uint64 until = uint64(block.timestamp) + _cooldown;
        if (until > m.cooldownUntil) m.cooldownUntil = until;
    }

    function _clear(Model memory m) private pure {
        (m.paused, m.bySentinel, m.pausedUntil, m.incident) = (false, false, 0, bytes32(0));
    }

    /// @dev The right actor three times in four, otherwise any of the four (possibly the right one too).
    function _actor(uint256 seed, address right) private view returns (address) {
        return seed % 4 != 0 ? right : _anyone(seed >> 2);
    }

    function _anyone(uint256 seed) private view returns (address) {
        uint256 pick = seed % 4;
        return pick == 0 ? admin : pick == 1 ? guardian : pick == 2 ? sentinel : stranger;
    }

    /// @dev The access-control revert `actor` gets without `role`, or `otherwise`.
    function _roleOr(address actor, bytes32 role, bytes memory otherwise) private view returns (bytes memory) {
        bool has = (role == ADMIN_ROLE && actor == admin) || (role == GUARDIAN_ROLE && actor == guardian)
            || (role == SENTINEL_ROLE && actor == sentinel);
        return has
            ? otherwise
            : abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, actor, role);
    }

    /// @dev A layer list: mostly a non-empty set of distinct valid layers in random order; one seed in sixteen is
    /// empty, and some contain an out-of-range id or a repeat.
    function _layerList(uint256 seed) private pure returns (uint8[] memory layers) {
        uint256 mode = seed % 16;
        if (mode == 0) return new uint8[](0);
        uint256 length = 1 + (seed >> 4) % 3;
        layers = new uint8[](length);
        uint8[3] memory order = [uint8(0), 1, 2];
        for (uint256 i = 0; i < 3; ++i) {
            uint256 j = i + (seed >> (8 + 4 * i)) % (3 - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        for (uint256 i = 0; i < length; ++i) {
            layers[i] = order[i];
        }
        if (mode == 1) layers[length - 1] = uint8(3 + (seed >> 24) % 253); // out of range
        if (mode == 2 && length > 1) layers[length - 1] = layers[0]; // repeated
    }

    /// @dev The revert the hub's list check gives for `layers`, or empty.
    function _listError(uint8[] memory layers) private pure returns (bytes memory) {
        if (layers.length == 0) return abi.encodeWithSelector(IGuardianHub.GuardianHubNoLayers.selector);
        uint256 seen;
        for (uint256 i = 0; i < layers.length; ++i) {
            uint8 layer = layers[i];
            if (layer >= LAYERS) return abi.encodeWithSelector(IGuardianHub.GuardianHubInvalidLayer.selector, layer);
            if (seen & (1 << layer) != 0) {
                return abi.encodeWithSelector(IGuardianHub.GuardianHubDuplicateLayer.selector, layer);
            }
            seen |= 1 << layer;
        }
        return "";
    }

    /// @dev An extension time: mostly later than any sentinel pause, sometimes exactly the current expiry or now.
    function _extensionTime(uint256 seed, uint8[] memory layers) private view returns (uint64) {
        uint256 mode = seed % 5;
        if (mode == 0 && layers.length != 0 && layers[0] < LAYERS) return _model[layers[0]].pausedUntil;
        if (mode == 1) return uint64(block.timestamp);
        return uint64(block.timestamp + bound(seed >> 8, 1, 8 days));
    }
}
