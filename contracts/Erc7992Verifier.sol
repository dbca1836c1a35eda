// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// ERC-165.
interface IERC165 {
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

/// ERC-7992 (draft, ethereum/ERCs ERCS/erc-7992.md): the verifier interface, as the draft specifies it.
interface IERCZKMLVerifier is IERC165 {
    event InferenceVerified(uint256 indexed modelId, bytes32 indexed inputCommitment, bytes output, address indexed caller);

    error InvalidProof();
    error ModelMismatch();
    error InputCommitmentMismatch();
    error OutputMismatch();
    error UnsupportedProofSystem(bytes4 proofSystemId);
    error VerificationRefused_ModelDeprecated(uint256 modelId);

    function verifyInference(uint256 modelId, bytes32 inputCommitment, bytes calldata output, bytes calldata proof) external;

    function proofSystemOf(uint256 modelId) external view returns (bytes4);

    function registry() external view returns (address registryAddress);
}

/// ERC-7992's optional storage extension.
interface IERCZKMLStorageExtension {
    event InferenceStored(bytes32 indexed inferenceId);

    function verifyAndStoreInference(uint256 modelId, bytes32 inputCommitment, bytes calldata output, bytes calldata proof) external returns (bytes32 inferenceId);

    function getInference(bytes32 inferenceId) external view returns (uint256 modelId, bytes32 inputCommitment, bytes memory output);
}

/// The part of ZkmlRegistry the adapter calls.
interface IZkmlRegistryForErc7992 {
    struct Segment {
        uint8 kind;
        uint32 size;
        uint8 scaleBits;
    }

    function verify(uint256 modelId, uint256[] calldata publicSignals, uint256[8] calldata proof) external view returns (int256[] memory outputs, uint256[] memory commitments);

    function submitInference(uint256 modelId, uint256[] calldata publicSignals, uint256[8] calldata proof)
        external
        returns (bytes32 nullifier, int256[] memory outputs, uint256[] memory commitments);

    function layoutOf(uint256 modelId) external view returns (Segment[] memory);
}

/**
 * @title Erc7992Verifier
 * @notice ERC-7992's verifier interface (and its storage extension) over a ZkmlRegistry, which keeps
 *         the models and the accepted results. The mapping of ERC-7992's opaque arguments:
 *         - `proof`  = abi.encode(uint256[8] proofWords, uint256[] publicSignals): the registry's submitInference arguments;
 *         - `output` = abi.encode(int256[] outputs, uint256[] commitments): what the registry decodes from the signals;
 *         - `inputCommitment` = the model's InputCommitment signal (hashed input visibility) as bytes32, else
 *           keccak256(abi.encode(INPUT_DOMAIN, modelId, the public input signals)) (an input that is private
 *           and not committed is bound by the proof alone: then the public input list is empty).
 *         Models cannot be deprecated or updated in ZkmlRegistry (a changed model is a new modelId).
 */
contract Erc7992Verifier is IERCZKMLVerifier, IERCZKMLStorageExtension {
    /// bytes4(keccak256("groth16-bn254-v1")): every ZkmlRegistry model is a snarkjs Groth16 verifier on BN254.
    bytes4 public constant GROTH16_BN254_V1 = bytes4(keccak256("groth16-bn254-v1"));
    /// Domain of the input commitment of a model without an InputCommitment signal.
    bytes32 public constant INPUT_DOMAIN = keccak256("zkml.erc7992.input.v1");

    uint8 internal constant KIND_INPUT = 1;
    uint8 internal constant KIND_INPUT_COMMITMENT = 2;

    IZkmlRegistryForErc7992 internal immutable zkml;

    struct Inference {
        uint256 modelId;
        bytes32 inputCommitment;
        bytes output;
    }

    mapping(bytes32 => Inference) internal inferences;

    error UnknownInference(bytes32 inferenceId);

    constructor(IZkmlRegistryForErc7992 zkml_) {
        zkml = zkml_;
    }

    function registry() external view returns (address) {
        return address(zkml);
    }

    function proofSystemOf(uint256 modelId) external view returns (bytes4) {
        zkml.layoutOf(modelId); // reverts UnknownModel for an unknown id
        return GROTH16_BN254_V1;
    }

    /// Reverts on any failure (the registry's own errors for a refused proof); records nothing.
    function verifyInference(uint256 modelId, bytes32 inputCommitment, bytes calldata output, bytes calldata proof) external {
        (uint256[8] memory words, uint256[] memory signals) = abi.decode(proof, (uint256[8], uint256[]));
        (int256[] memory outputs, uint256[] memory commitments) = zkml.verify(modelId, signals, words);
        _checkClaims(modelId, inputCommitment, output, signals, outputs, commitments);
        emit InferenceVerified(modelId, inputCommitment, output, msg.sender);
    }

    /// Verifies, submits to the registry (so a replay is refused there, AlreadyAccepted) and stores the record.
    function verifyAndStoreInference(uint256 modelId, bytes32 inputCommitment, bytes calldata output, bytes calldata proof) external returns (bytes32 inferenceId) {
        (uint256[8] memory words, uint256[] memory signals) = abi.decode(proof, (uint256[8], uint256[]));
        (, int256[] memory outputs, uint256[] memory commitments) = zkml.submitInference(modelId, signals, words);
        _checkClaims(modelId, inputCommitment, output, signals, outputs, commitments);
        inferenceId = keccak256(abi.encodePacked(modelId, inputCommitment, output));
        inferences[inferenceId] = Inference(modelId, inputCommitment, output);
        emit InferenceVerified(modelId, inputCommitment, output, msg.sender);
        emit InferenceStored(inferenceId);
    }

    function getInference(bytes32 inferenceId) external view returns (uint256 modelId, bytes32 inputCommitment, bytes memory output) {
        Inference storage r = inferences[inferenceId];
        if (r.output.length == 0) revert UnknownInference(inferenceId);
        return (r.modelId, r.inputCommitment, r.output);
    }

    /// The input commitment ERC-7992 callers pass for these public signals of the model.
    function inputCommitmentOf(uint256 modelId, uint256[] memory publicSignals) public view returns (bytes32) {
        IZkmlRegistryForErc7992.Segment[] memory layout = zkml.layoutOf(modelId);
        uint256 nInputs = 0;
        for (uint256 s = 0; s < layout.length; s++) if (layout[s].kind == KIND_INPUT) nInputs += layout[s].size;
        uint256[] memory inputs = new uint256[](nInputs);
        (uint256 at, uint256 n) = (0, 0);
        for (uint256 s = 0; s < layout.length; s++) {
            if (layout[s].kind == KIND_INPUT_COMMITMENT) return bytes32(publicSignals[at]);
            for (uint256 i = 0; i < layout[s].size; i++) {
                if (layout[s].kind == KIND_INPUT) inputs[n++] = publicSignals[at];
                at++;
            }
        }
        return keccak256(abi.encode(INPUT_DOMAIN, modelId, inputs));
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERCZKMLVerifier).interfaceId || interfaceId == type(IERCZKMLStorageExtension).interfaceId;
    }

    function _checkClaims(uint256 modelId, bytes32 inputCommitment, bytes calldata output, uint256[] memory signals, int256[] memory outputs, uint256[] memory commitments) internal view {
        if (inputCommitment != inputCommitmentOf(modelId, signals)) revert InputCommitmentMismatch();
        if (keccak256(output) != keccak256(abi.encode(outputs, commitments))) revert OutputMismatch();
    }
}
