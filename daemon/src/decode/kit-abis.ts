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

/**
 * OpenZeppelin v5 errors an operator meets in the kit's and Guardian's
 * contracts and the accounts' calls (Create2, Address, Pausable, Ownable,
 * AccessControl, ERC-1967/UUPS, Initializable, SafeERC20, SafeCast, ERC-20,
 * ECDSA, EIP-712, ReentrancyGuard), so a refusal reads `Create2EmptyBytecode()`
 * instead of "unknown error 0x4ca249dc".
 */
export const openZeppelinErrorsAbi = parseAbi([
  "error Create2EmptyBytecode()",
  "error Create2FailedDeployment()",
  "error Create2InsufficientBalance(uint256 balance, uint256 needed)",
  "error FailedDeployment()",
  "error FailedCall()",
  "error InsufficientBalance(uint256 balance, uint256 needed)",
  "error AddressEmptyCode(address target)",
  "error AddressInsufficientBalance(address account)",
  "error FailedInnerCall()",
  "error EnforcedPause()",
  "error ExpectedPause()",
  "error OwnableUnauthorizedAccount(address account)",
  "error OwnableInvalidOwner(address owner)",
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "error AccessControlBadConfirmation()",
  "error ERC1967InvalidImplementation(address implementation)",
  "error ERC1967InvalidAdmin(address admin)",
  "error ERC1967InvalidBeacon(address beacon)",
  "error ERC1967NonPayable()",
  "error UUPSUnauthorizedCallContext()",
  "error UUPSUnsupportedProxiableUUID(bytes32 slot)",
  "error InvalidInitialization()",
  "error NotInitializing()",
  "error SafeERC20FailedOperation(address token)",
  "error SafeERC20FailedDecreaseAllowance(address spender, uint256 currentAllowance, uint256 requestedDecrease)",
  "error SafeCastOverflowedUintDowncast(uint8 bits, uint256 value)",
  "error SafeCastOverflowedIntToUint(int256 value)",
  "error SafeCastOverflowedIntDowncast(uint8 bits, int256 value)",
  "error SafeCastOverflowedUintToInt(uint256 value)",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InvalidSender(address sender)",
  "error ERC20InvalidReceiver(address receiver)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error ERC20InvalidApprover(address approver)",
  "error ERC20InvalidSpender(address spender)",
  "error ECDSAInvalidSignature()",
  "error ECDSAInvalidSignatureLength(uint256 length)",
  "error ECDSAInvalidSignatureS(bytes32 s)",
  "error InvalidShortString()",
  "error StringTooLong(string str)",
  "error StringsInsufficientHexLength(uint256 value, uint256 length)",
  "error ReentrancyGuardReentrantCall()",
]);

/**
 * The rest of the kit's Delegation Framework errors (`@metamask/delegation-abis`):
 * its factory, the DeleGator accounts (Hybrid, MultiSig, EIP-7702), the
 * execution library and the caveat enforcers' custom errors (most enforcers
 * refuse with `Error("<Enforcer>:<reason>")`, decoded as a string).
 */
export const kitErrorsAbi = parseAbi([
  "error SimpleFactoryEmptyContract(address deployed)",
  "error DeployedEmptyContract(address contractAddress)",
  "error ERC7579DecodingError()",
  "error InvalidEIP712NameLength()",
  "error InvalidEIP712VersionLength()",
  "error UnauthorizedCallContext()",
  "error CannotRemoveLastSigner()",
  "error InputLengthsMismatch(uint256 keyIdsLength, uint256 xValuesLength, uint256 yValuesLength)",
  "error InvalidEmptyKey()",
  "error KeyAlreadyExists(bytes32 keyIdHash)",
  "error KeyDoesNotExist(bytes32 keyIdHash)",
  "error KeyNotOnCurve(uint256 x, uint256 y)",
  "error SignersCannotBeEmpty()",
  "error AlreadyASigner()",
  "error InsufficientSigners()",
  "error InvalidSignerAddress()",
  "error InvalidThreshold()",
  "error NotASigner()",
  "error TooManySigners()",
  "error AggregatorIdIsNotAllowed(string aggregatorId)",
  "error AmountFromMismatch()",
  "error FailedNativeTokenTransfer(address recipient)",
  "error InputLengthsMismatch()",
  "error InsufficientTokens()",
  "error InvalidApiSignature()",
  "error InvalidEmptyDelegations()",
  "error InvalidIdenticalTokens()",
  "error InvalidSwapFunctionSelector()",
  "error InvalidZeroAddress()",
  "error MissingArgsEqualityCheckEnforcer()",
  "error NotLeafDelegator()",
  "error SignatureExpired()",
  "error TokenFromIsNotAllowed(address token)",
  "error TokenFromMismatch()",
  "error TokenToIsNotAllowed(address token)",
  // The EntryPoint's simulation-only results, for completeness.
  "error DelegateAndRevert(bool success, bytes ret)",
  "error SenderAddressResult(address sender)",
]);

/** Solidity's built-in revert shapes. */
export const builtinErrorsAbi = parseAbi(["error Error(string message)", "error Panic(uint256 code)"]);
