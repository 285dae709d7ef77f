// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.24;

import {EntryPoint} from "@account-abstraction/contracts/core/EntryPoint.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {IStakeManager} from "@account-abstraction/contracts/interfaces/IStakeManager.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {GuardedAccountFactory} from "./GuardedAccountFactory.sol";
import {GuardedTarget} from "./GuardedTarget.sol";
import {GuardianHub} from "./GuardianHub.sol";
import {TestAccount} from "./test/TestAccount.sol";
import {TestBase} from "./test/TestBase.sol";

/// @dev A contract whose constructor always reverts, to check that the factory passes the reason on.
contract RevertingConstructor {
    error RevertingConstructorRefused(uint256 code);

    constructor() {
        revert RevertingConstructorRefused(42);
    }
}

contract GuardedAccountFactoryTest is TestBase {
    uint8 internal constant ACCOUNT_FACTORY = 1;
    bytes32 internal constant INCIDENT = keccak256("INC-0001");
    bytes32 internal constant SALT = keccak256("salt");

    EntryPoint internal entryPoint;
    GuardianHub internal hub;
    GuardedAccountFactory internal factory;

    address internal admin;
    address internal guardian;
    address internal stranger;
    address internal owner;

    function setUp() public {
        vm.warp(1_700_000_000);
        admin = makeAddr("admin");
        guardian = makeAddr("guardian");
        stranger = makeAddr("stranger");
        owner = makeAddr("owner");

        entryPoint = new EntryPoint();
        hub = new GuardianHub(admin, guardian, 1 days, 6 hours);
        factory = new GuardedAccountFactory(address(hub), owner);
        address[] memory wiring = new address[](1);
        wiring[0] = address(factory);
        vm.prank(admin);
        hub.setLayerTargets(ACCOUNT_FACTORY, wiring);
    }

    function _accountCode() internal view returns (bytes memory) {
        return abi.encodePacked(type(TestAccount).creationCode, abi.encode(address(entryPoint)));
    }

    function _layers() internal pure returns (uint8[] memory layers) {
        layers = new uint8[](1);
        layers[0] = ACCOUNT_FACTORY;
    }

    function _guardianPause() internal {
        vm.prank(guardian);
        hub.pause(_layers(), INCIDENT);
    }

    // ================================================================ construction

    function test_constructor_setsHubAndOwner() public view {
        assertEq(factory.hub(), address(hub), "hub");
        assertEq(factory.owner(), owner, "owner");
        assertFalse(factory.paused(), "starts unpaused");
    }

    function test_constructor_revertsOnZeroHub() public {
        vm.expectRevert(GuardedAccountFactory.GuardedAccountFactoryZeroAddress.selector);
        new GuardedAccountFactory(address(0), owner);
    }

    function test_constructor_revertsOnZeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new GuardedAccountFactory(address(hub), address(0));
    }

    // ================================================================ deploy

    function test_deploy_createsAccountAtComputedAddress() public {
        bytes memory code = _accountCode();
        address predicted = factory.computeAddress(keccak256(code), SALT);
        vm.expectEmit(true, true, true, true, address(factory));
        emit GuardedAccountFactory.Deployed(predicted);
        vm.prank(stranger); // anyone may deploy
        address deployed = factory.deploy(code, SALT);
        assertEq(deployed, predicted, "address");
        assertEq(TestAccount(payable(deployed)).entryPoint(), address(entryPoint), "account initialised");
    }

    function test_computeAddress_isStandardCreate2() public view {
        bytes32 codeHash = keccak256(_accountCode());
        address expected = address(
            uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(factory), SALT, codeHash))))
        );
        assertEq(factory.computeAddress(codeHash, SALT), expected, "CREATE2 formula");
    }

    function test_deploy_revertsWhenAlreadyDeployed() public {
        bytes memory code = _accountCode();
        address deployed = factory.deploy(code, SALT);
        vm.expectRevert(
            abi.encodeWithSelector(GuardedAccountFactory.GuardedAccountFactoryDeploymentFailed.selector, deployed)
        );
        factory.deploy(code, SALT);
    }

    function test_deploy_revertsOnEmptyContract() public {
        address predicted = factory.computeAddress(keccak256(""), SALT);
        vm.expectRevert(
            abi.encodeWithSelector(GuardedAccountFactory.GuardedAccountFactoryEmptyContract.selector, predicted)
        );
        factory.deploy("", SALT);
    }

    function test_deploy_passesConstructorRevertOn() public {
        vm.expectRevert(abi.encodeWithSelector(RevertingConstructor.RevertingConstructorRefused.selector, 42));
        factory.deploy(type(RevertingConstructor).creationCode, SALT);
    }

    function test_deploy_revertsWhilePaused() public {
        _guardianPause();
        vm.expectRevert(GuardedAccountFactory.GuardedAccountFactoryPaused.selector);
        factory.deploy(_accountCode(), SALT);
    }

    function test_deploy_worksAgainAfterUnpause() public {
        _guardianPause();
        vm.prank(guardian);
        hub.unpause(_layers(), INCIDENT);
        address deployed = factory.deploy(_accountCode(), SALT);
        assertTrue(deployed.code.length > 0, "deployed");
    }

    // ================================================================ pause switch

    function test_pause_onlyByHub() public {
        vm.expectRevert(
            abi.encodeWithSelector(GuardedAccountFactory.GuardedAccountFactoryUnauthorizedHub.selector, owner)
        );
        vm.prank(owner);
        factory.pause();
        vm.expectRevert(
            abi.encodeWithSelector(GuardedAccountFactory.GuardedAccountFactoryUnauthorizedHub.selector, stranger)
        );
        vm.prank(stranger);
        factory.unpause();
    }

    function test_pause_emitsAndRevertsWhenAlreadyPaused() public {
        vm.expectEmit(true, true, true, true, address(factory));
        emit GuardedTarget.Paused(address(hub));
        vm.prank(address(hub));
        factory.pause();
        vm.expectRevert(GuardedAccountFactory.GuardedAccountFactoryPaused.selector);
        vm.prank(address(hub));
        factory.pause();
    }

    function test_unpause_revertsWhenNotPaused() public {
        vm.expectRevert(GuardedAccountFactory.GuardedAccountFactoryNotPaused.selector);
        vm.prank(address(hub));
        factory.unpause();
    }

    // ================================================================ through a user operation's initCode

    function _createOp() internal returns (PackedUserOperation[] memory ops) {
        bytes memory code = _accountCode();
        address sender = factory.computeAddress(keccak256(code), SALT);
        vm.deal(sender, 1 ether); // the account pays its own prefund
        PackedUserOperation memory op;
        op.sender = sender;
        op.initCode = abi.encodePacked(address(factory), abi.encodeCall(GuardedAccountFactory.deploy, (code, SALT)));
        op.accountGasLimits = bytes32(uint256(1_000_000) << 128 | 50_000);
        op.preVerificationGas = 50_000;
        op.gasFees = bytes32(uint256(1 gwei) << 128 | 2 gwei);
        ops = new PackedUserOperation[](1);
        ops[0] = op;
    }

    function test_initCode_createsAccount() public {
        PackedUserOperation[] memory ops = _createOp();
        entryPoint.handleOps(ops, payable(stranger));
        assertTrue(ops[0].sender.code.length > 0, "account created through the EntryPoint");
    }

    function test_initCode_refusedWhilePaused() public {
        PackedUserOperation[] memory ops = _createOp();
        _guardianPause();
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA13 initCode failed or OOG"));
        entryPoint.handleOps(ops, payable(stranger));
    }

    // ================================================================ staking

    function test_staking_ownerStakesUnlocksAndWithdraws() public {
        vm.deal(owner, 2 ether);
        vm.prank(owner);
        factory.addStake{value: 1 ether}(entryPoint, 1 days);
        IStakeManager.DepositInfo memory info = entryPoint.getDepositInfo(address(factory));
        assertTrue(info.staked, "staked");
        assertEq(info.stake, 1 ether, "stake");

        vm.prank(owner);
        factory.unlockStake(entryPoint);
        vm.warp(block.timestamp + 1 days);
        address payable receiver = payable(makeAddr("receiver"));
        vm.prank(owner);
        factory.withdrawStake(entryPoint, receiver);
        assertEq(receiver.balance, 1 ether, "withdrawn");
    }

    function test_staking_refusesStranger() public {
        bytes memory unauthorized = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger);
        vm.startPrank(stranger);
        vm.expectRevert(unauthorized);
        factory.addStake(entryPoint, 1 days);
        vm.expectRevert(unauthorized);
        factory.unlockStake(entryPoint);
        vm.expectRevert(unauthorized);
        factory.withdrawStake(entryPoint, payable(stranger));
        vm.stopPrank();
    }

    // ================================================================ fuzz

    function testFuzz_deploy_addressMatchesComputeAddress(bytes32 salt, address entryPointArg) public {
        bytes memory code = abi.encodePacked(type(TestAccount).creationCode, abi.encode(entryPointArg));
        address predicted = factory.computeAddress(keccak256(code), salt);
        assertEq(factory.deploy(code, salt), predicted, "address");
        assertEq(TestAccount(payable(predicted)).entryPoint(), entryPointArg, "constructor argument");
    }
}
