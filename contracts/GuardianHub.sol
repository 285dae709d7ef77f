// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IGuardianHub} from "./interfaces/IGuardianHub.sol";
import {IPausableTarget} from "./interfaces/IPausableTarget.sol";

/**
 * @title GuardianHub
 * @dev The circuit breaker of an ERC-4337 smart-account stack (EntryPoint v0.7 paymaster, account factory,
 * MetaMask `DelegationManager`). See {IGuardianHub} for the layers, the roles and every function.
 *
 * Threat model (in the spirit of Lido's GateSeal and CircuitBreaker):
 *
 * - The sentinel key lives on a monitoring host, so it is the key most likely to be stolen. A stolen sentinel key
 *   can at worst cause a short, visible, rate-limited outage: it can only pause; every pause lapses by itself after
 *   `sentinelPauseDuration` (at most `MAX_SENTINEL_PAUSE_DURATION`) and anyone may then release it; from the moment
 *   it ends (however late the release) the layer stays out of every sentinel's reach for `sentinelCooldown` (at least
 *   `MIN_SENTINEL_COOLDOWN`), so no number of stolen keys can chain pauses; every pause emits an event naming the
 *   sentinel. It can never unpause, extend, confirm, rewire, change bounds or touch any role, and the guardian can
 *   revoke it at once. The exact bound is in {IGuardianHub}.
 * - A sentinel pause never shortens or replaces a guardian pause, and retries are no-ops, so several daemons may
 *   race on the same incident.
 * - The guardian (a Safe) is trusted to pause for as long as needed and to unpause; the admin (governance) is
 *   trusted with roles, wiring and the ownership of targets. Targets are trusted contracts wired by the admin.
 * - The hub checks the outcome, not just the call: after pausing or unpausing a target it reads `paused()` back, and
 *   a failing target aborts the whole transaction naming the target and its revert reason, so the hub's view and
 *   the targets never disagree.
 */
contract GuardianHub is IGuardianHub, AccessControl {
    /// @dev The Safe multisig: pauses without limit, unpauses, confirms and extends sentinel pauses, manages sentinels.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @dev The monitoring daemon's key: bounded, rate-limited pauses and heartbeats only.
    bytes32 public constant SENTINEL_ROLE = keccak256("SENTINEL_ROLE");

    /// @dev Layer of the EntryPoint path: the operator's paymaster (the EntryPoint itself cannot be paused).
    uint8 public constant LAYER_ENTRY_POINT = 0;

    /// @dev Layer of account creation: the guarded account factory.
    uint8 public constant LAYER_ACCOUNT_FACTORY = 1;

    /// @dev Layer of delegation redemption: the MetaMask `DelegationManager`.
    uint8 public constant LAYER_DELEGATION = 2;

    /// @dev Number of layers; layer ids are `0 .. LAYER_COUNT - 1`.
    uint8 public constant LAYER_COUNT = 3;

    /// @dev Each target costs two to four external calls per pause; eight keeps a three-layer pause far below a
    /// block's gas limit, so the panic button cannot become too expensive to press.
    uint256 public constant MAX_TARGETS_PER_LAYER = 8;

    /// @dev A shorter sentinel pause would lapse before the on-call engineer (15-minute SLA for Critical incidents)
    /// could look at it, so it would only cause churn.
    uint64 public constant MIN_SENTINEL_PAUSE_DURATION = 10 minutes;

    /// @dev The longest outage a stolen sentinel key can cause per pause; anything longer is the guardian's call
    /// (confirm or extend). A week covers a weekend plus escalation to the Safe signers.
    uint64 public constant MAX_SENTINEL_PAUSE_DURATION = 7 days;

    /// @dev Guarantees service between two sentinel pauses of a layer (counted from the end of the first, however
    /// late it was released), so stolen keys cannot chain pauses into a permanent outage, and leaves the guardian time
    /// to revoke them.
    uint64 public constant MIN_SENTINEL_COOLDOWN = 1 hours;

    /// @dev A longer cooldown would switch the automatic breaker off for too long after a single (possibly false)
    /// alarm.
    uint64 public constant MAX_SENTINEL_COOLDOWN = 30 days;

    /// @dev `pausedUntil` of an indefinite (guardian) pause.
    uint64 private constant INDEFINITE = type(uint64).max;

    uint64 private _sentinelPauseDuration;
    uint64 private _sentinelCooldown;

    mapping(uint8 layer => LayerState) private _layers;
    mapping(uint8 layer => address[]) private _targets;
    /// @dev 1 + the layer a target is wired to; 0 if it is not wired.
    mapping(address target => uint8 layerPlusOne) private _targetLayer;
    mapping(address sentinel => uint64) private _lastHeartbeat;

    /**
     * @dev Grants `DEFAULT_ADMIN_ROLE` to `admin` and `GUARDIAN_ROLE` to `guardian`, makes `GUARDIAN_ROLE` the admin
     * role of `SENTINEL_ROLE`, and sets the sentinel bounds. No layer is wired yet.
     *
     * Requirements:
     *
     * - `admin` and `guardian` must not be the zero address.
     * - `sentinelPauseDuration_` and `sentinelCooldown_` must be within the bounds of {setSentinelBounds}.
     *
     * Emits a {SentinelBoundsSet} event.
     */
    constructor(address admin, address guardian, uint64 sentinelPauseDuration_, uint64 sentinelCooldown_) {
        if (admin == address(0) || guardian == address(0)) revert GuardianHubZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, guardian);
        _setRoleAdmin(SENTINEL_ROLE, GUARDIAN_ROLE);
        _setSentinelBounds(sentinelPauseDuration_, sentinelCooldown_);
    }

    // ------------------------------------------------------------------ pausing

    /// @inheritdoc IGuardianHub
    function pause(uint8[] calldata layers, bytes32 incident) external onlyRole(GUARDIAN_ROLE) {
        _requireLayerList(layers);
        for (uint256 i = 0; i < layers.length; ++i) {
            uint8 layer = layers[i];
            LayerState storage state = _layers[layer];
            if (state.paused) {
                if (!state.bySentinel) continue; // already paused indefinitely: nothing to do
                _confirm(layer, state, incident);
            } else {
                _requireWired(layer);
                state.paused = true;
                state.pausedUntil = INDEFINITE;
                state.incident = incident;
                emit LayerPaused(layer, msg.sender, INDEFINITE, false, incident);
            }
            _setTargetsPaused(layer, true);
        }
    }

    /// @inheritdoc IGuardianHub
    function sentinelPause(uint8[] calldata layers, bytes32 incident) external onlyRole(SENTINEL_ROLE) {
        _requireLayerList(layers);
        for (uint256 i = 0; i < layers.length; ++i) {
            uint8 layer = layers[i];
            LayerState storage state = _layers[layer];
            if (state.paused) continue; // idempotent, and never touches a guardian pause
            uint64 cooldownUntil = state.sentinelCooldownUntil;
            if (block.timestamp < cooldownUntil) revert GuardianHubSentinelCooldown(layer, cooldownUntil);
            _requireWired(layer);

            uint64 until = uint64(block.timestamp) + _sentinelPauseDuration;
            state.paused = true;
            state.bySentinel = true;
            state.pausedUntil = until;
            state.sentinelCooldownUntil = until + _sentinelCooldown;
            state.incident = incident;
            emit LayerPaused(layer, msg.sender, until, true, incident);
            _setTargetsPaused(layer, true);
        }
    }

    /// @inheritdoc IGuardianHub
    function confirmPause(uint8[] calldata layers, bytes32 incident) external onlyRole(GUARDIAN_ROLE) {
        _requireLayerList(layers);
        for (uint256 i = 0; i < layers.length; ++i) {
            uint8 layer = layers[i];
            LayerState storage state = _layers[layer];
            _requireSentinelPause(layer, state);
            _confirm(layer, state, incident);
        }
    }

    /// @inheritdoc IGuardianHub
    function extendPause(uint8[] calldata layers, uint64 until, bytes32 incident) external onlyRole(GUARDIAN_ROLE) {
        _requireLayerList(layers);
        for (uint256 i = 0; i < layers.length; ++i) {
            uint8 layer = layers[i];
            LayerState storage state = _layers[layer];
            _requireSentinelPause(layer, state);
            if (until <= block.timestamp || until <= state.pausedUntil) {
                revert GuardianHubInvalidExtension(layer, until);
            }
            state.pausedUntil = until;
            emit SentinelPauseExtended(layer, msg.sender, until, incident);
        }
    }

    // ------------------------------------------------------------------ unpausing

    /// @inheritdoc IGuardianHub
    function unpause(uint8[] calldata layers, bytes32 incident) external onlyRole(GUARDIAN_ROLE) {
        _requireLayerList(layers);
        for (uint256 i = 0; i < layers.length; ++i) {
            uint8 layer = layers[i];
            LayerState storage state = _layers[layer];
            if (!state.paused) continue;
            if (state.bySentinel) _restartSentinelCooldown(state);
            _clear(state);
            emit LayerUnpaused(layer, msg.sender, incident, false);
            _setTargetsPaused(layer, false);
        }
    }

    /// @inheritdoc IGuardianHub
    function releaseExpired(uint8[] calldata layers) external {
        _requireLayerList(layers);
        for (uint256 i = 0; i < layers.length; ++i) {
            uint8 layer = layers[i];
            LayerState storage state = _layers[layer];
            _requireSentinelPause(layer, state);
            uint64 until = state.pausedUntil;
            if (block.timestamp < until) revert GuardianHubPauseNotExpired(layer, until);
            bytes32 incident = state.incident;
            _restartSentinelCooldown(state);
            _clear(state);
            emit LayerUnpaused(layer, msg.sender, incident, true);
            _setTargetsPaused(layer, false);
        }
    }

    // ------------------------------------------------------------------ liveness

    /// @inheritdoc IGuardianHub
    function heartbeat() external onlyRole(SENTINEL_ROLE) {
        uint64 at = uint64(block.timestamp);
        _lastHeartbeat[msg.sender] = at;
        emit SentinelHeartbeat(msg.sender, at);
    }

    // ------------------------------------------------------------------ administration

    /// @inheritdoc IGuardianHub
    function setSentinelBounds(uint64 pauseDuration, uint64 cooldown) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSentinelBounds(pauseDuration, cooldown);
    }

    /// @inheritdoc IGuardianHub
    function setLayerTargets(uint8 layer, address[] calldata targets) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireLayer(layer);
        if (_layers[layer].paused) revert GuardianHubLayerIsPaused(layer);
        if (targets.length > MAX_TARGETS_PER_LAYER) revert GuardianHubTooManyTargets(layer, targets.length);

        address[] storage wired = _targets[layer];
        for (uint256 i = 0; i < wired.length; ++i) {
            delete _targetLayer[wired[i]];
        }
        delete _targets[layer];

        for (uint256 i = 0; i < targets.length; ++i) {
            address target = targets[i];
            if (target == address(0)) revert GuardianHubZeroAddress();
            if (target.code.length == 0) revert GuardianHubTargetNotContract(target);
            uint8 layerPlusOne = _targetLayer[target];
            if (layerPlusOne != 0) revert GuardianHubTargetAlreadyWired(target, layerPlusOne - 1);
            _targetLayer[target] = layer + 1;
            wired.push(target);
        }
        emit LayerTargetsSet(layer, targets);
    }

    /// @inheritdoc IGuardianHub
    function acceptTargetOwnership(address target) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (target == address(0)) revert GuardianHubZeroAddress();
        _callTarget(target, abi.encodeCall(Ownable2Step.acceptOwnership, ()));
        emit TargetOwnershipAccepted(target);
    }

    /// @inheritdoc IGuardianHub
    function transferTargetOwnership(address target, address newOwner) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (target == address(0) || newOwner == address(0)) revert GuardianHubZeroAddress();
        uint8 layerPlusOne = _targetLayer[target];
        if (layerPlusOne != 0) revert GuardianHubTargetStillWired(target, layerPlusOne - 1);
        _callTarget(target, abi.encodeCall(Ownable2Step.transferOwnership, (newOwner)));
        emit TargetOwnershipTransferStarted(target, newOwner);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IGuardianHub
    function layerState(uint8 layer) external view returns (LayerState memory) {
        _requireLayer(layer);
        return _layers[layer];
    }

    /// @inheritdoc IGuardianHub
    function isPaused(uint8 layer) external view returns (bool) {
        _requireLayer(layer);
        return _layers[layer].paused;
    }

    /// @inheritdoc IGuardianHub
    function sentinelPauseExpired(uint8 layer) external view returns (bool) {
        _requireLayer(layer);
        LayerState storage state = _layers[layer];
        return state.paused && state.bySentinel && block.timestamp >= state.pausedUntil;
    }

    /// @inheritdoc IGuardianHub
    function layerTargets(uint8 layer) external view returns (address[] memory) {
        _requireLayer(layer);
        return _targets[layer];
    }

    /// @inheritdoc IGuardianHub
    function lastHeartbeat(address sentinel) external view returns (uint64) {
        return _lastHeartbeat[sentinel];
    }

    /// @inheritdoc IGuardianHub
    function sentinelPauseDuration() external view returns (uint64) {
        return _sentinelPauseDuration;
    }

    /// @inheritdoc IGuardianHub
    function sentinelCooldown() external view returns (uint64) {
        return _sentinelCooldown;
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IGuardianHub).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    function _setSentinelBounds(uint64 pauseDuration, uint64 cooldown) private {
        if (
            pauseDuration < MIN_SENTINEL_PAUSE_DURATION || pauseDuration > MAX_SENTINEL_PAUSE_DURATION
                || cooldown < MIN_SENTINEL_COOLDOWN || cooldown > MAX_SENTINEL_COOLDOWN
        ) revert GuardianHubInvalidSentinelBounds(pauseDuration, cooldown);
        _sentinelPauseDuration = pauseDuration;
        _sentinelCooldown = cooldown;
        emit SentinelBoundsSet(pauseDuration, cooldown);
    }

    /// @dev Turns the sentinel pause in `state` into an indefinite guardian pause (keeping its incident).
    function _confirm(uint8 layer, LayerState storage state, bytes32 incident) private {
        _restartSentinelCooldown(state);
        state.bySentinel = false;
        state.pausedUntil = INDEFINITE;
        emit SentinelPauseConfirmed(layer, msg.sender, incident);
    }

    /// @dev A sentinel pause ends now (released, unpaused or taken over by the guardian): the layer's sentinel
    /// cooldown runs for `_sentinelCooldown` from now, unless the one set when the pause was made ends later. So the
    /// time an expired pause waited for its release never counts as cooldown.
    function _restartSentinelCooldown(LayerState storage state) private {
        uint64 until = uint64(block.timestamp) + _sentinelCooldown;
        if (until > state.sentinelCooldownUntil) state.sentinelCooldownUntil = until;
    }

    /// @dev Clears a pause; the sentinel cooldown survives it.
    function _clear(LayerState storage state) private {
        state.paused = false;
        state.bySentinel = false;
        state.pausedUntil = 0;
        state.incident = bytes32(0);
    }

    /// @dev Brings every target of `layer` to `paused() == paused_`, calling only those not there yet, and checks
    /// the outcome.
    function _setTargetsPaused(uint8 layer, bool paused_) private {
        address[] storage targets = _targets[layer];
        bytes memory data = paused_
            ? abi.encodeCall(IPausableTarget.pause, ())
            : abi.encodeCall(IPausableTarget.unpause, ());
        for (uint256 i = 0; i < targets.length; ++i) {
            address target = targets[i];
            if (_targetPaused(target) == paused_) continue;
            _callTarget(target, data);
            if (_targetPaused(target) != paused_) revert GuardianHubTargetStateMismatch(target, paused_);
        }
    }

    function _targetPaused(address target) private view returns (bool) {
        (bool success, bytes memory result) = target.staticcall(abi.encodeCall(IPausableTarget.paused, ()));
        if (!success || result.length != 32 || uint256(bytes32(result)) > 1) {
            revert GuardianHubTargetCallFailed(target, result);
        }
        return uint256(bytes32(result)) == 1;
    }

    function _callTarget(address target, bytes memory data) private {
        (bool success, bytes memory reason) = target.call(data);
        if (!success) revert GuardianHubTargetCallFailed(target, reason);
    }

    function _requireLayerList(uint8[] calldata layers) private pure {
        if (layers.length == 0) revert GuardianHubNoLayers();
        uint256 seen;
        for (uint256 i = 0; i < layers.length; ++i) {
            uint8 layer = layers[i];
            _requireLayer(layer);
            uint256 bit = 1 << layer;
            if (seen & bit != 0) revert GuardianHubDuplicateLayer(layer);
            seen |= bit;
        }
    }

    function _requireLayer(uint8 layer) private pure {
        if (layer >= LAYER_COUNT) revert GuardianHubInvalidLayer(layer);
    }

    function _requireWired(uint8 layer) private view {
        if (_targets[layer].length == 0) revert GuardianHubLayerNotWired(layer);
    }

    function _requireSentinelPause(uint8 layer, LayerState storage state) private view {
        if (!state.paused || !state.bySentinel) revert GuardianHubNotSentinelPause(layer);
    }
}
