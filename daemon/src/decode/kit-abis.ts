/**
 * ABI fragments of the Smart Accounts Kit's contracts (EntryPoint v0.7,
 * DelegationManager), of the OpenZeppelin access-control and proxy events
 * every watched contract may emit, and of Guardian's own governance events
 * and custom errors. Written with `parseAbi` (events and errors only), so
 * decoding needs neither compiled artifacts nor the kit at run time;
 * kit-abis.test.ts checks them against viem's EntryPoint ABI, the kit's
 * `@metamask/delegation-abis` and Guardian's artifacts.
 */
import { parseAbi } from "viem";

/** EntryPoint v0.7 (`IEntryPoint`, `IStakeManager`) events. */
export const entryPointEventsAbi = parseAbi([
  "event UserOperationEvent(bytes32 indexed userOpHash, address indexed sender, address indexed paymaster, uint256 nonce, bool success, uint256 actualGasCost, uint256 actualGasUsed)",
  "event AccountDeployed(bytes32 indexed userOpHash, address indexed sender, address factory, address paymaster)",
  "event UserOperationRevertReason(bytes32 indexed userOpHash, address indexed sender, uint256 nonce, bytes revertReason)",
  "event PostOpRevertReason(bytes32 indexed userOpHash, address indexed sender, uint256 nonce, bytes revertReason)",
  "event UserOperationPrefundTooLow(bytes32 indexed userOpHash, address indexed sender, uint256 nonce)",
  "event Deposited(address indexed account, uint256 totalDeposit)",
  "event Withdrawn(address indexed account, address withdrawAddress, uint256 amount)",
  "event StakeLocked(address indexed account, uint256 totalStaked, uint256 unstakeDelaySec)",
  "event StakeUnlocked(address indexed account, uint256 withdrawTime)",
  "event StakeWithdrawn(address indexed account, address withdrawAddress, uint256 amount)",
]);

/** EntryPoint v0.7 errors: how `handleOps` refuses a bundle. */
export const entryPointErrorsAbi = parseAbi([
  "error FailedOp(uint256 opIndex, string reason)",
  "error FailedOpWithRevert(uint256 opIndex, string reason, bytes inner)",
  "error PostOpReverted(bytes returnData)",
  "error SignatureValidationFailed(address aggregator)",
  "error ReentrancyGuardReentrantCall()",
]);

/** The `handleOps` entry points (bundles), for decoding a bundle transaction's input. */
export const entryPointCallsAbi = parseAbi([
  "struct PackedUserOperation { address sender; uint256 nonce; bytes initCode; bytes callData; bytes32 accountGasLimits; uint256 preVerificationGas; bytes32 gasFees; bytes paymasterAndData; bytes signature; }",
  "struct UserOpsPerAggregator { PackedUserOperation[] userOps; address aggregator; bytes signature; }",
  "function handleOps(PackedUserOperation[] ops, address beneficiary)",
  "function handleAggregatedOps(UserOpsPerAggregator[] opsPerAggregator, address beneficiary)",
]);

/** The kit's DelegationManager events (besides Ownable2Step's and Pausable's). */
export const delegationManagerEventsAbi = parseAbi([
  "struct Caveat { address enforcer; bytes terms; bytes args; }",
  "struct Delegation { address delegate; address delegator; bytes32 authority; Caveat[] caveats; uint256 salt; bytes signature; }",
  "event RedeemedDelegation(address indexed rootDelegator, address indexed redeemer, Delegation delegation)",
  "event EnabledDelegation(bytes32 indexed delegationHash, address indexed delegator, address indexed delegate, Delegation delegation)",
  "event DisabledDelegation(bytes32 indexed delegationHash, address indexed delegator, address indexed delegate, Delegation delegation)",
]);

/** The kit's DelegationManager errors (how `redeemDelegations` refuses). */
export const delegationManagerErrorsAbi = parseAbi([
  "error CannotUseADisabledDelegation()",
  "error InvalidDelegate()",
  "error InvalidDelegator()",
  "error InvalidAuthority()",
  "error InvalidEOASignature()",
  "error InvalidERC1271Signature()",
  "error EmptySignature()",
  "error BatchDataLengthMismatch()",
  "error AlreadyDisabled()",
  "error AlreadyEnabled()",
  "error EnforcedPause()",
  "error ExpectedPause()",
  "error ECDSAInvalidSignature()",
  "error ECDSAInvalidSignatureLength(uint256 length)",
  "error ECDSAInvalidSignatureS(bytes32 s)",
]);

/** `DelegationManager.redeemDelegations`, for decoding a redemption's input (the value it moves). */
export const delegationManagerCallsAbi = parseAbi([
  "function redeemDelegations(bytes[] permissionContexts, bytes32[] modes, bytes[] executionCallDatas)",
]);

/** The kit's HybridDeleGator errors an account's execution may revert with. */
export const deleGatorErrorsAbi = parseAbi([
  "error NotEntryPoint()",
  "error NotEntryPointOrSelf()",
  "error NotDelegationManager()",
  "error NotSelf()",
  "error ExecutionFailed()",
  "error FailedInnerCall()",
  "error UnsupportedCallType(bytes1 callType)",
  "error UnsupportedExecType(bytes1 execType)",
]);

/** OpenZeppelin Ownable / Ownable2Step events (DelegationManager, paymaster, factory). */
export const ownableEventsAbi = parseAbi([
  "event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner)",
  "event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)",
]);

/** OpenZeppelin AccessControl events (the GuardianHub). */
export const accessControlEventsAbi = parseAbi([
  "event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
  "event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)",
  "event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)",
]);

/** ERC-1967 proxy events: a watched contract behind a proxy changed its code or its admin. */
export const erc1967EventsAbi = parseAbi([
  "event Upgraded(address indexed implementation)",
  "event AdminChanged(address previousAdmin, address newAdmin)",
  "event BeaconUpgraded(address indexed beacon)",
]);

/** GuardianHub's governance events (its pause events are in abis.ts). */
export const hubGovernanceEventsAbi = parseAbi([
  "event LayerTargetsSet(uint8 indexed layer, address[] targets)",
  "event TargetOwnershipAccepted(address indexed target)",
  "event TargetOwnershipTransferStarted(address indexed target, address indexed newOwner)",
  "event SentinelBoundsSet(uint64 pauseDuration, uint64 cooldown)",
]);

/** Guardian's account factory (the kit's `SimpleFactory` interface). */
export const guardedFactoryEventsAbi = parseAbi(["event Deployed(address indexed addr)"]);

/** Custom errors of Guardian's contracts and the OpenZeppelin parts they inherit. */
export const guardianErrorsAbi = parseAbi([
  "error GuardedPaymasterPaused()",
  "error GuardedPaymasterNotPaused()",
  "error GuardedPaymasterUnauthorizedHub(address caller)",
  "error GuardedPaymasterInvalidDataLength(uint256 length)",
  "error GuardedPaymasterZeroAddress()",
  "error GuardedAccountFactoryPaused()",
  "error GuardedAccountFactoryNotPaused()",
  "error GuardedAccountFactoryUnauthorizedHub(address caller)",
  "error GuardedAccountFactoryEmptyContract(address deployed)",
  "error GuardedAccountFactoryDeploymentFailed(address predicted)",
  "error GuardedAccountFactoryZeroAddress()",
  "error GuardianHubZeroAddress()",
  "error GuardianHubNoLayers()",
  "error GuardianHubInvalidLayer(uint8 layer)",
  "error GuardianHubDuplicateLayer(uint8 layer)",
  "error GuardianHubInvalidSentinelBounds(uint64 pauseDuration, uint64 cooldown)",
  "error GuardianHubTooManyTargets(uint8 layer, uint256 count)",
  "error GuardianHubTargetNotContract(address target)",
  "error GuardianHubTargetAlreadyWired(address target, uint8 layer)",
  "error GuardianHubTargetStillWired(address target, uint8 layer)",
  "error GuardianHubLayerNotWired(uint8 layer)",
  "error GuardianHubLayerIsPaused(uint8 layer)",
  "error GuardianHubSentinelCooldown(uint8 layer, uint64 until)",
  "error GuardianHubNotSentinelPause(uint8 layer)",
  "error GuardianHubInvalidExtension(uint8 layer, uint64 until)",
  "error GuardianHubPauseNotExpired(uint8 layer, uint64 until)",
  "error GuardianHubTargetCallFailed(address target, bytes reason)",
  "error GuardianHubTargetStateMismatch(address target, bool expectedPaused)",
  "error OwnableUnauthorizedAccount(address account)",
  "error OwnableInvalidOwner(address owner)",
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "error AccessControlBadConfirmation()",
]);

/** Solidity's built-in revert shapes. */
export const builtinErrorsAbi = parseAbi(["error Error(string message)", "error Panic(uint256 code)"]);
