// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// The part of ZkmlRegistry a consumer needs (full ABI: docs/contracts.md).
interface IZkmlRegistry {
    function submitInference(uint256 modelId, uint256[] calldata publicSignals, uint256[8] calldata proof)
        external
        returns (bytes32 nullifier, int256[] memory outputs, uint256[] memory commitments);

    function isAccepted(uint256 modelId, uint256[] calldata publicSignals) external view returns (bool);

    function decode(uint256 modelId, uint256[] calldata publicSignals) external view returns (int256[] memory outputs, uint256[] memory commitments);

    function isCeremonyKey(uint256 modelId, uint32 minContributions) external view returns (bool);
}

/**
 * Example consumer: approves an input commitment when the model's first output reaches a threshold.
 * For a model compiled with `--input-visibility hashed --output-visibility public`, the registry
 * returns the outputs as signed integers (value = integer / 2^scaleBits) and commitments[0] is the
 * Poseidon commitment to the private input. The registry verifies the proof and refuses replays, so
 * this contract only decides. A result someone else already submitted is not lost to that replay
 * protection: the registry accepted exactly these signals for this model, so the consumer reads them
 * (decoded by the registry) instead of submitting again.
 */
contract ThresholdConsumer {
    IZkmlRegistry public immutable registry;
    uint256 public immutable modelId;
    /// In the output's integer units (for scale 2^-9, 0.5 is 256).
    int256 public immutable threshold;
    /// When non-zero: settle only if the model's key came from a pinned ptau and a phase-2 ceremony
    /// with at least this many contributions (as registered); 0 accepts any key, a dev key included.
    uint32 public immutable minCeremonyContributions;

    mapping(uint256 => bool) public approved;

    event Decision(uint256 indexed inputCommitment, int256 score, bool approved);

    error NotACeremonyKey(uint256 modelId);

    constructor(IZkmlRegistry registry_, uint256 modelId_, int256 threshold_, uint32 minCeremonyContributions_) {
        registry = registry_;
        modelId = modelId_;
        threshold = threshold_;
        minCeremonyContributions = minCeremonyContributions_;
    }

    /// Refuses a model whose key one machine could have forged proofs with (dev ptau or local phase 2).
    modifier requireCeremonyKey() {
        if (minCeremonyContributions != 0 && !registry.isCeremonyKey(modelId, minCeremonyContributions)) revert NotACeremonyKey(modelId);
        _;
    }

    function settle(uint256[] calldata publicSignals, uint256[8] calldata proof) external requireCeremonyKey returns (bool ok) {
        int256[] memory outputs;
        uint256[] memory commitments;
        if (registry.isAccepted(modelId, publicSignals)) (outputs, commitments) = registry.decode(modelId, publicSignals);
        else (, outputs, commitments) = registry.submitInference(modelId, publicSignals, proof);
        ok = outputs[0] >= threshold;
        approved[commitments[0]] = ok;
        emit Decision(commitments[0], outputs[0], ok);
    }
}
