// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev Interface of the {GuardianHub}: the circuit breaker of an ERC-4337 smart-account stack.
 *
 * The stack is split into layers, each identified by a `uint8`: 0 = entry point (the operator's paymaster),
 * 1 = account factory, 2 = delegation (the MetaMask `DelegationManager`). Each layer is wired to up to
 * `MAX_TARGETS_PER_LAYER` pausable contracts ({IPausableTarget}). Functions that act on layers take an array,
 * so one transaction can pause (or release) several layers.
 *
 * Three roles act on the hub:
 *
 * - the admin (`DEFAULT_ADMIN_ROLE`, governance) wires layers, sets the sentinel bounds, manages guardians and
 *   moves the ownership of `Ownable2Step` targets;
 * - the guardian (`GUARDIAN_ROLE`, a Safe multisig) pauses for as long as needed, unpauses, confirms or extends
 *   a sentinel pause, and grants and revokes sentinels;
 * - the sentinel (`SENTINEL_ROLE`, the monitoring daemon's hot key) can only pause, for a bounded time, with a
 *   cooldown between pauses, and proves it is alive with {heartbeat}.
 *
 * Once a sentinel pause has expired, anyone may {releaseExpired} it.
 *
 * The sentinel's bound. A sentinel pause is in force for at most {sentinelPauseDuration} (`duration`) unless the
 * guardian confirms or extends it (that time is the guardian's decision). When it ends — released once expired,
 * unpaused or confirmed by the guardian — no sentinel may pause that layer again for {sentinelCooldown}
 * (`cooldown`) counted from that moment, and never before the pause's first expiry plus `cooldown`. The cooldown
 * belongs to the layer, so every sentinel key shares it, and a sentinel pause never renews or extends a pause that
 * holds the layer (a paused layer is skipped, even if its sentinel pause has expired). Hence, however many sentinel
 * keys there are and however late expired pauses are released:
 *
 * - between the end of one sentinel pause of a layer and the start of the next, at least `cooldown` passes;
 * - not counting the time an expired pause waited for its release (nor time the guardian added with {extendPause}),
 *   a layer is under sentinel pauses for at most `duration` in any window of `duration + cooldown`.
 *
 * That wait is the one thing the hub cannot bound: no contract acts by itself at a given time, and the targets hold a
 * plain pause flag (the paymaster and the factory may not read the clock during ERC-4337 validation; the
 * DelegationManager is OpenZeppelin's `Pausable`), so an expired pause holds the targets until someone calls
 * {releaseExpired}. Anyone may, at any moment (the daemon does); a late release never shortens the cooldown that
 * follows it, so a thief holding sentinel keys gains nothing by waiting for one.
 */
interface IGuardianHub {
    /**
     * @dev The pause state of one layer.
     *
     * - `paused`: the layer's targets are paused by the hub.
     * - `bySentinel`: the pause was made by a sentinel and lapses at `pausedUntil` unless the guardian confirms it.
     * - `pausedUntil`: when a sentinel pause lapses; `type(uint64).max` for the guardian's indefinite pause; 0 when
     *   not paused.
     * - `sentinelCooldownUntil`: before this time a sentinel may not pause the layer again. Set to `pausedUntil +
     *   cooldown` by a sentinel pause, moved to `end + cooldown` when the pause ends (released, unpaused or
     *   confirmed) if that is later, e.g. after a late release; kept across unpauses.
     * - `incident`: the operator's incident reference the pause was made for (0 when not paused).
     */
    struct LayerState {
        bool paused;
        bool bySentinel;
        uint64 pausedUntil;
        uint64 sentinelCooldownUntil;
        bytes32 incident;
    }

    /**
     * @dev `layer` was paused by `by` until `until` (`type(uint64).max` for an indefinite guardian pause), as a
     * bounded sentinel pause if `bySentinel`, for `incident`.
     */
    event LayerPaused(uint8 indexed layer, address indexed by, uint64 until, bool bySentinel, bytes32 indexed incident);

    /**
     * @dev `layer` was unpaused by `by`. `expired` is true when a lapsed sentinel pause was released (then `incident`
     * is the one the pause was made for), false when the guardian unpaused it.
     */
    event LayerUnpaused(uint8 indexed layer, address indexed by, bytes32 indexed incident, bool expired);

    /// @dev The sentinel pause of `layer` was made indefinite by the guardian `by`.
    event SentinelPauseConfirmed(uint8 indexed layer, address indexed by, bytes32 indexed incident);

    /// @dev The sentinel pause of `layer` was extended by the guardian `by` until `until`.
    event SentinelPauseExtended(uint8 indexed layer, address indexed by, uint64 until, bytes32 indexed incident);

    /// @dev Sentinel pauses now last `pauseDuration` seconds and are followed by at least `cooldown` seconds without
    /// one.
    event SentinelBoundsSet(uint64 pauseDuration, uint64 cooldown);

    /// @dev `layer` is now wired to `targets`.
    event LayerTargetsSet(uint8 indexed layer, address[] targets);

    /// @dev The sentinel `sentinel` reported that it is alive at `at`.
    event SentinelHeartbeat(address indexed sentinel, uint64 at);

    /// @dev The hub accepted the ownership of the `Ownable2Step` contract `target`.
    event TargetOwnershipAccepted(address indexed target);

    /// @dev The hub started handing the ownership of `target` to `newOwner` (who must accept it).
    event TargetOwnershipTransferStarted(address indexed target, address indexed newOwner);

    /// @dev An address argument that must be set is zero.
    error GuardianHubZeroAddress();

    /// @dev The list of layers is empty.
    error GuardianHubNoLayers();

    /// @dev `layer` is not a layer id (it must be below `LAYER_COUNT`).
    error GuardianHubInvalidLayer(uint8 layer);

    /// @dev `layer` appears more than once in the list of layers.
    error GuardianHubDuplicateLayer(uint8 layer);

    /// @dev `pauseDuration` or `cooldown` is outside the hub's sentinel bounds.
    error GuardianHubInvalidSentinelBounds(uint64 pauseDuration, uint64 cooldown);

    /// @dev `layer` would be wired to `count` targets, more than `MAX_TARGETS_PER_LAYER`.
    error GuardianHubTooManyTargets(uint8 layer, uint256 count);

    /// @dev `target` has no code, so it cannot be paused.
    error GuardianHubTargetNotContract(address target);

    /// @dev `target` is already wired to `layer` (a target belongs to one layer, at most once).
    error GuardianHubTargetAlreadyWired(address target, uint8 layer);

    /// @dev `target` is wired to `layer`: giving its ownership away would leave the layer impossible to pause or
    /// unpause, so it must be unwired first.
    error GuardianHubTargetStillWired(address target, uint8 layer);

    /// @dev `layer` has no targets, so pausing it would stop nothing.
    error GuardianHubLayerNotWired(uint8 layer);

    /// @dev `layer` is paused, and the change asked for must wait until it is unpaused.
    error GuardianHubLayerIsPaused(uint8 layer);

    /// @dev A sentinel may not pause `layer` again before `until`.
    error GuardianHubSentinelCooldown(uint8 layer, uint64 until);

    /// @dev `layer` is not under a sentinel pause (it is not paused, or the guardian paused it).
    error GuardianHubNotSentinelPause(uint8 layer);

    /// @dev `until` is not a later expiry for the sentinel pause of `layer` (it must be after now and after the
    /// current expiry).
    error GuardianHubInvalidExtension(uint8 layer, uint64 until);

    /// @dev The sentinel pause of `layer` lasts until `until` and cannot be released before.
    error GuardianHubPauseNotExpired(uint8 layer, uint64 until);

    /// @dev A call to `target` reverted with `reason`.
    error GuardianHubTargetCallFailed(address target, bytes reason);

    /// @dev `target` accepted the call but does not report `paused() == expectedPaused` afterwards.
    error GuardianHubTargetStateMismatch(address target, bool expectedPaused);

    /**
     * @dev Pauses `layers` indefinitely, until the guardian unpauses them.
     *
     * A layer already paused by the guardian is skipped. A layer under a sentinel pause becomes an indefinite
     * guardian pause (as with {confirmPause}). Every target of a paused layer that reports `paused() == false` is
     * paused; targets already paused by someone else are left as they are.
     *
     * Requirements:
     *
     * - the caller must have `GUARDIAN_ROLE`.
     * - `layers` must be a non-empty list of distinct layer ids.
     * - every layer to pause must be wired to at least one target.
     * - every target call must succeed and leave the target paused.
     *
     * Emits a {LayerPaused} event for each newly paused layer and a {SentinelPauseConfirmed} event for each layer
     * whose sentinel pause became indefinite.
     */
    function pause(uint8[] calldata layers, bytes32 incident) external;

    /**
     * @dev Pauses `layers` for {sentinelPauseDuration} seconds; afterwards anyone may {releaseExpired} them.
     *
     * A layer that is already paused (by a sentinel or the guardian) is skipped, so retries and several daemons are
     * harmless and a sentinel never shortens a guardian pause. The call succeeds even if every layer was skipped.
     * Each new sentinel pause starts a cooldown, shared by every sentinel: the layer cannot be sentinel-paused again
     * until {sentinelCooldown} seconds after this pause ends (its expiry, or its release, the guardian's unpause or
     * confirmation if that comes later). An expired pause nobody released yet still holds the layer, so it is skipped:
     * the sentinel can neither renew it nor start a new pause before it is released and the cooldown has passed.
     *
     * Requirements:
     *
     * - the caller must have `SENTINEL_ROLE`.
     * - `layers` must be a non-empty list of distinct layer ids.
     * - no layer to pause may be in its sentinel cooldown.
     * - every layer to pause must be wired to at least one target.
     * - every target call must succeed and leave the target paused.
     *
     * Emits a {LayerPaused} event for each newly paused layer.
     */
    function sentinelPause(uint8[] calldata layers, bytes32 incident) external;

    /**
     * @dev Makes the sentinel pauses of `layers` indefinite, until the guardian unpauses them. An expired sentinel
     * pause that nobody released yet can still be confirmed; the sentinel cooldown then runs from this confirmation.
     * A layer whose sentinel pause was already released reverts: use {pause}, which confirms a sentinel pause and
     * pauses a released layer alike.
     *
     * Requirements:
     *
     * - the caller must have `GUARDIAN_ROLE`.
     * - `layers` must be a non-empty list of distinct layer ids.
     * - every layer must be under a sentinel pause.
     *
     * Emits a {SentinelPauseConfirmed} event for each layer.
     */
    function confirmPause(uint8[] calldata layers, bytes32 incident) external;

    /**
     * @dev Moves the expiry of the sentinel pauses of `layers` to `until`. The pauses stay sentinel pauses: once
     * `until` has passed anyone may release them. The sentinel cooldown then runs from the pause's end.
     *
     * Requirements:
     *
     * - the caller must have `GUARDIAN_ROLE`.
     * - `layers` must be a non-empty list of distinct layer ids.
     * - every layer must be under a sentinel pause.
     * - `until` must be later than now and later than the current expiry of every layer.
     *
     * Emits a {SentinelPauseExtended} event for each layer.
     */
    function extendPause(uint8[] calldata layers, uint64 until, bytes32 incident) external;

    /**
     * @dev Unpauses `layers`, whoever paused them and whether or not a sentinel pause has expired. A layer that is
     * not paused is skipped. Every target that reports `paused() == true` is unpaused. Sentinel cooldowns are kept;
     * ending a sentinel pause moves its cooldown end to now + {sentinelCooldown} if that is later.
     *
     * Requirements:
     *
     * - the caller must have `GUARDIAN_ROLE`.
     * - `layers` must be a non-empty list of distinct layer ids.
     * - every target call must succeed and leave the target unpaused.
     *
     * Emits a {LayerUnpaused} event (with `expired == false`) for each layer that was paused.
     */
    function unpause(uint8[] calldata layers, bytes32 incident) external;

    /**
     * @dev Releases the expired sentinel pauses of `layers`. Anyone may call it: a lapsed sentinel pause must end
     * even if nobody with a role is around. A pause made until `t` is still in force at `t - 1` and releasable from
     * `t` on. The layer's sentinel cooldown runs from the release (or from `t` as set by the pause, if later).
     *
     * Requirements:
     *
     * - `layers` must be a non-empty list of distinct layer ids.
     * - every layer must be under a sentinel pause whose expiry has been reached.
     * - every target call must succeed and leave the target unpaused.
     *
     * Emits a {LayerUnpaused} event (with `expired == true` and the pause's own incident) for each layer.
     */
    function releaseExpired(uint8[] calldata layers) external;

    /**
     * @dev Records that the calling sentinel is alive, so watchers can tell a silent daemon from a quiet chain.
     *
     * Requirements:
     *
     * - the caller must have `SENTINEL_ROLE`.
     *
     * Emits a {SentinelHeartbeat} event.
     */
    function heartbeat() external;

    /**
     * @dev Sets how long a sentinel pause lasts and how long a layer stays protected from another sentinel pause
     * after one ends. Pauses already in force keep their expiry; a cooldown restarted when one of them ends uses the
     * new `cooldown`. The bound in the contract's description holds for a given pair of settings.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE`.
     * - `pauseDuration` must be within [`MIN_SENTINEL_PAUSE_DURATION`, `MAX_SENTINEL_PAUSE_DURATION`].
     * - `cooldown` must be within [`MIN_SENTINEL_COOLDOWN`, `MAX_SENTINEL_COOLDOWN`].
     *
     * Emits a {SentinelBoundsSet} event.
     */
    function setSentinelBounds(uint64 pauseDuration, uint64 cooldown) external;

    /**
     * @dev Wires `layer` to `targets`, replacing its previous targets. An empty list unwires the layer.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE`.
     * - `layer` must be a layer id, and the layer must not be paused.
     * - `targets` may hold at most `MAX_TARGETS_PER_LAYER` contracts, none of them zero, codeless, repeated or
     *   wired to another layer.
     *
     * Emits a {LayerTargetsSet} event.
     */
    function setLayerTargets(uint8 layer, address[] calldata targets) external;

    /**
     * @dev Accepts the pending ownership of the `Ownable2Step` contract `target` (e.g. the `DelegationManager`),
     * after its owner called `transferOwnership(hub)`.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE`.
     * - the hub must be `target`'s pending owner.
     *
     * Emits a {TargetOwnershipAccepted} event.
     */
    function acceptTargetOwnership(address target) external;

    /**
     * @dev Starts handing the ownership of `target` to `newOwner` (e.g. to take the `DelegationManager` back, or to
     * move it to a new hub); `newOwner` must then accept it.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE`.
     * - `newOwner` must not be the zero address.
     * - `target` must not be wired to any layer (unwire it with {setLayerTargets} first, so that no layer is left
     *   with a target the hub can no longer pause or unpause).
     * - the hub must own `target`.
     *
     * Emits a {TargetOwnershipTransferStarted} event.
     */
    function transferTargetOwnership(address target, address newOwner) external;

    /// @dev Returns the pause state of `layer`.
    function layerState(uint8 layer) external view returns (LayerState memory);

    /// @dev Returns true if `layer` is paused (an expired sentinel pause counts until it is released).
    function isPaused(uint8 layer) external view returns (bool);

    /// @dev Returns true if `layer` is under a sentinel pause that {releaseExpired} can release now.
    function sentinelPauseExpired(uint8 layer) external view returns (bool);

    /// @dev Returns the targets `layer` is wired to.
    function layerTargets(uint8 layer) external view returns (address[] memory);

    /// @dev Returns the time of the last {heartbeat} of `sentinel` (0 if none).
    function lastHeartbeat(address sentinel) external view returns (uint64);

    /// @dev Returns how long a sentinel pause lasts, in seconds.
    function sentinelPauseDuration() external view returns (uint64);

    /// @dev Returns how long after a sentinel pause ends a sentinel may not pause the same layer again, in seconds.
    function sentinelCooldown() external view returns (uint64);
}
