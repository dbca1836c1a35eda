// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/**
 * @title ZkmlRegistry
 * @notice Registers zkml models (their snarkjs Groth16 verifier plus the public-signal layout) and
 *         accepts inference results proven for them. An accepted result is emitted with its decoded
 *         outputs and commitments and recorded under its nullifier, so it is accepted once only.
 * @dev The nullifier is keccak256(modelId, publicSignals), not a hash of the proof: a Groth16 proof
 *      can be re-randomised by anyone into another valid proof of the same statement, so a
 *      proof-hash nullifier would not stop a replay. Salted commitments (hashed visibility) make
 *      every honest statement distinct.
 */
contract ZkmlRegistry {
    /// BN254 scalar field modulus: every public signal must be below it.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// What a run of public signals holds; the kinds of zkml's receipt `publicLayout`.
    enum Kind {
        Output,
        Input,
        InputCommitment,
        OutputCommitment,
        /// The commitment to a model's private weights: pinned at registration, checked on every submission.
        WeightsCommitment
    }

    /// `size` consecutive public signals of one kind; outputs are integers v meaning v / 2^scaleBits.
    struct Segment {
        Kind kind;
        uint32 size;
        uint8 scaleBits;
    }

    /// verifier, nPublic, selector and weightsSignal share one storage slot: one cold read per submission.
    struct Model {
        address verifier;
        uint32 nPublic;
        /// selector of verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[nPublic]).
        bytes4 selector;
        /// 1 + the index of the WeightsCommitment signal; 0 when the weights are circuit constants.
        uint32 weightsSignal;
        /// sha256 of the ONNX file (zkml manifest `onnxSha256`).
        bytes32 modelHash;
        /// sha256 of verification_key.json (zkml manifest `vkSha256`).
        bytes32 vkHash;
        address registrant;
    }

    Model[] internal models;
    mapping(uint256 => Segment[]) internal layouts;
    /// With private weights: the commitment every accepted proof of the model must carry.
    mapping(uint256 => uint256) public weightsCommitmentOf;
    /// nullifier => modelId + 1 of the accepted result (0: never accepted).
    mapping(bytes32 => uint256) public accepted;

    event ModelRegistered(uint256 indexed modelId, address indexed verifier, bytes32 modelHash, bytes32 vkHash, uint32 nPublic);
    event InferenceAccepted(uint256 indexed modelId, bytes32 indexed nullifier, address indexed submitter, int256[] outputs, uint256[] commitments);

    error UnknownModel(uint256 modelId);
    error NotAContract(address verifier);
    error EmptyLayout();
    error WrongSignalCount(uint256 expected, uint256 given);
    error SignalNotInField(uint256 index);
    error AlreadyAccepted(bytes32 nullifier);
    error ProofRejected();
    error BadWeightsCommitment();
    error WrongWeights(uint256 expected, uint256 given);

    /**
     * @param weightsCommitment with private weights (a WeightsCommitment segment of size 1 in the
     *        layout), the commitment published for the model's weights; otherwise 0. The verifying
     *        key then names only the architecture: this value names the weights.
     * @return modelId the new model's id (its index; ids start at 0).
     */
    function registerModel(address verifier, bytes32 modelHash, bytes32 vkHash, Segment[] calldata layout, uint256 weightsCommitment)
        external
        returns (uint256 modelId)
    {
        if (verifier.code.length == 0) revert NotAContract(verifier);
        if (layout.length == 0) revert EmptyLayout();
        uint256 n = 0;
        uint32 weightsSignal = 0;
        modelId = models.length;
        for (uint256 i = 0; i < layout.length; i++) {
            if (layout[i].size == 0) revert EmptyLayout();
            if (layout[i].kind == Kind.WeightsCommitment) {
                if (layout[i].size != 1 || weightsSignal != 0) revert BadWeightsCommitment();
                weightsSignal = uint32(n + 1);
            }
            n += layout[i].size;
            layouts[modelId].push(layout[i]);
        }
        if ((weightsSignal == 0) != (weightsCommitment == 0) || weightsCommitment >= R) revert BadWeightsCommitment();
        if (weightsSignal != 0) weightsCommitmentOf[modelId] = weightsCommitment;
        bytes4 selector = bytes4(keccak256(bytes(string.concat("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(n), "])"))));
        models.push(Model(verifier, uint32(n), selector, weightsSignal, modelHash, vkHash, msg.sender));
        emit ModelRegistered(modelId, verifier, modelHash, vkHash, uint32(n));
    }

    /**
     * @notice Verifies a proof for a registered model and accepts its result once.
     * @param proof [a.x, a.y, b.x.c1, b.x.c0, b.y.c1, b.y.c0, c.x, c.y]: the first three arguments of
     *        verifyProof flattened (`zkml calldata` prints them).
     * @return nullifier the result's id; outputs every Output signal decoded as a signed integer;
     *         commitments the InputCommitment, OutputCommitment and WeightsCommitment signals, in layout order.
     */
    function submitInference(uint256 modelId, uint256[] calldata publicSignals, uint256[8] calldata proof)
        external
        returns (bytes32 nullifier, int256[] memory outputs, uint256[] memory commitments)
    {
        if (modelId >= models.length) revert UnknownModel(modelId);
        Model storage m = models[modelId];
        if (publicSignals.length != m.nPublic) revert WrongSignalCount(m.nPublic, publicSignals.length);
        // Checked here too (the verifier also refuses): s and s + r must never be two statements.
        for (uint256 i = 0; i < publicSignals.length; i++) {
            if (publicSignals[i] >= R) revert SignalNotInField(i);
        }
        // A proof about other weights is a valid proof of another model: refuse it by name.
        if (m.weightsSignal != 0) {
            uint256 given = publicSignals[m.weightsSignal - 1];
            if (given != weightsCommitmentOf[modelId]) revert WrongWeights(weightsCommitmentOf[modelId], given);
        }
        nullifier = keccak256(abi.encode(modelId, publicSignals));
        if (accepted[nullifier] != 0) revert AlreadyAccepted(nullifier);

        (bool ok, bytes memory ret) = m.verifier.staticcall(abi.encodePacked(m.selector, proof, publicSignals));
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != 1) revert ProofRejected();
        accepted[nullifier] = modelId + 1;

        (outputs, commitments) = decode(modelId, publicSignals);
        emit InferenceAccepted(modelId, nullifier, msg.sender, outputs, commitments);
    }

    /// Splits public signals by the model's layout: outputs as signed integers, commitments as field elements.
    function decode(uint256 modelId, uint256[] calldata publicSignals) public view returns (int256[] memory outputs, uint256[] memory commitments) {
        Segment[] storage layout = layouts[modelId];
        uint256 nOut = 0;
        uint256 nCom = 0;
        for (uint256 s = 0; s < layout.length; s++) {
            if (layout[s].kind == Kind.Output) nOut += layout[s].size;
            else if (layout[s].kind != Kind.Input) nCom += layout[s].size;
        }
        outputs = new int256[](nOut);
        commitments = new uint256[](nCom);
        (uint256 at, uint256 o, uint256 c) = (0, 0, 0);
        for (uint256 s = 0; s < layout.length; s++) {
            Kind kind = layout[s].kind;
            for (uint256 i = 0; i < layout[s].size; i++) {
                uint256 v = publicSignals[at++];
                if (kind == Kind.Output) outputs[o++] = v > R / 2 ? -int256(R - v) : int256(v);
                else if (kind != Kind.Input) commitments[c++] = v;
            }
        }
    }

    function model(uint256 modelId) external view returns (Model memory) {
        if (modelId >= models.length) revert UnknownModel(modelId);
        return models[modelId];
    }

    function layoutOf(uint256 modelId) external view returns (Segment[] memory) {
        if (modelId >= models.length) revert UnknownModel(modelId);
        return layouts[modelId];
    }

    function modelCount() external view returns (uint256) {
        return models.length;
    }

    /// True when this exact result (model and public signals) was accepted.
    function isAccepted(uint256 modelId, uint256[] calldata publicSignals) external view returns (bool) {
        return accepted[keccak256(abi.encode(modelId, publicSignals))] == modelId + 1;
    }

    function _decimal(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        uint256 digits = 0;
        for (uint256 t = v; t != 0; t /= 10) digits++;
        bytes memory b = new bytes(digits);
        for (; v != 0; v /= 10) b[--digits] = bytes1(uint8(48 + (v % 10)));
        return string(b);
    }
}
