// A bare Hardhat config for the chains the daemon's tests start.
export default {};
