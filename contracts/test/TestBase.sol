// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Vm} from "./Vm.sol";

/**
 * @dev Helpers shared by Guardian's Solidity tests and invariant handlers: the cheatcode handle, named accounts,
 * `bound` for fuzz inputs and assertions that revert with a readable message (`Error(string)`), which EDR prints
 * as the failure reason.
 */
abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev An address derived from `name` and labelled with it.
    function makeAddr(string memory name) internal returns (address account) {
        (account,) = makeAccount(name);
    }

    /// @dev An address and its private key, both derived from `name`; the address is labelled with `name`.
    function makeAccount(string memory name) internal returns (address account, uint256 key) {
        key = uint256(keccak256(bytes(name)));
        account = vm.addr(key);
        vm.label(account, name);
    }

    /// @dev Maps `x` into `[min, max]` without discarding inputs (keeps the edges reachable).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    function fail(string memory message) internal pure {
        revert(message);
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) revert(message);
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) revert(message);
    }

    function assertEq(uint256 left, uint256 right, string memory message) internal pure {
        if (left != right) {
            revert(string.concat(message, ": ", Strings.toString(left), " != ", Strings.toString(right)));
        }
    }

    function assertEq(address left, address right, string memory message) internal pure {
        if (left != right) {
            revert(string.concat(message, ": ", Strings.toHexString(left), " != ", Strings.toHexString(right)));
        }
    }

    function assertEq(bytes32 left, bytes32 right, string memory message) internal pure {
        if (left != right) {
            string memory l = Strings.toHexString(uint256(left), 32);
            string memory r = Strings.toHexString(uint256(right), 32);
            revert(string.concat(message, ": ", l, " != ", r));
        }
    }

    function assertEq(bool left, bool right, string memory message) internal pure {
        if (left != right) {
            revert(string.concat(message, ": ", left ? "true" : "false", " != ", right ? "true" : "false"));
        }
    }

    function assertEq(bytes memory left, bytes memory right, string memory message) internal pure {
        if (keccak256(left) != keccak256(right)) {
            revert(string.concat(message, ": ", Strings.toHexString(left), " != ", Strings.toHexString(right)));
        }
    }

    function assertLe(uint256 left, uint256 right, string memory message) internal pure {
        if (left > right) {
            revert(string.concat(message, ": ", Strings.toString(left), " > ", Strings.toString(right)));
        }
    }
}
