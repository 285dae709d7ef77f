// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev The few cheatcodes Guardian's Solidity tests use, served by Hardhat's EDR test runner at the standard
 * cheatcode address (`address(uint160(uint256(keccak256("hevm cheat code"))))`). A local copy because the npm
 * build of forge-std is not usable here; signatures are Foundry's, so EDR recognises them.
 */
interface Vm {
    /// @dev One log captured after {recordLogs}.
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    /// @dev Sets `msg.sender` for the next call only.
    function prank(address msgSender) external;

    /// @dev Sets `msg.sender` for every call until {stopPrank}.
    function startPrank(address msgSender) external;

    /// @dev Ends a {startPrank}.
    function stopPrank() external;

    /// @dev Sets `block.timestamp`.
    function warp(uint256 newTimestamp) external;

    /// @dev Sets `block.chainid`.
    function chainId(uint256 newChainId) external;

    /// @dev Expects the next call to revert with exactly this 4-byte custom error (no arguments).
    function expectRevert(bytes4 revertData) external;

    /// @dev Expects the next call to revert with exactly this revert data.
    function expectRevert(bytes calldata revertData) external;

    /// @dev Expects the next call to revert, whatever the reason.
    function expectRevert() external;

    /**
     * @dev Expects the next emitted event, from any emitter, to match the event the test emits next, comparing the
     * selected topics and the data.
     */
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;

    /**
     * @dev Expects the next emitted event, from `emitter`, to match the event the test emits next, comparing the
     * selected topics and the data.
     */
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter)
        external;

    /// @dev Discards the current fuzz input when `condition` is false.
    function assume(bool condition) external pure;

    /// @dev Names an address in traces.
    function label(address account, string calldata newLabel) external;

    /// @dev Sets the ether balance of `account`.
    function deal(address account, uint256 newBalance) external;

    /// @dev Returns the address of a private key.
    function addr(uint256 privateKey) external pure returns (address keyAddr);

    /// @dev Signs `digest` with `privateKey` (secp256k1).
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);

    /// @dev Starts recording every emitted log.
    function recordLogs() external;

    /// @dev Returns the logs recorded since {recordLogs} (or the last call to this function) and clears them.
    function getRecordedLogs() external returns (Log[] memory logs);
}
