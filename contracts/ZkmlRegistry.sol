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

    /// Where the powers of tau (phase 1) came from: generated on one machine, a pinned public ceremony file, or another file.
    enum PtauKind {
        Dev,
        Pinned,
        Unpinned
    }

    /// How the circuit-specific phase 2 was made: one machine's `zkml setup`, or a finished multi-party ceremony.
    enum Phase2Kind {
        Local,
        Ceremony
    }

    /**
     * How a model's Groth16 key was made, as its registrant states it (zkml derives it from the build's
     * manifest and setup.json). The registry checks it is consistent, not that it is true: the key's
     * history is not visible on-chain. It is attributed to the registrant (`model(id).registrant`).
     */
    struct KeyProvenance {
        PtauKind ptau;
        /// The ptau holds 2^ptauPower points.
        uint8 ptauPower;
        Phase2Kind phase2;
        /// Phase-2 contributions before the beacon (a ceremony's contributors; 1.. for a local setup).
        uint32 contributions;
        /// blake2b-512 of the ptau file (the hash public ceremonies publish), in two words.
        bytes32[2] ptauBlake2b512;
        /// sha256 of the circuit's r1cs (zkml manifest `r1csSha256`): the circuit the key was made for.
        bytes32 circuitHash;
        /// sha256 of ceremony-transcript.json for a ceremony; 0 for a local setup.
        bytes32 transcriptHash;
        /// sha256 of the phase-2 beacon's bytes (setup.json `beacon.hash`).
        bytes32 beaconHash;
    }

    Model[] internal models;
    mapping(uint256 => KeyProvenance) internal provenances;
    mapping(uint256 => Segment[]) internal layouts;
    /// With private weights: the commitment every accepted proof of the model must carry.
    mapping(uint256 => uint256) public weightsCommitmentOf;
    /// nullifier => modelId + 1 of the accepted result (0: never accepted).
    mapping(bytes32 => uint256) public accepted;

    event ModelRegistered(uint256 indexed modelId, address indexed verifier, bytes32 modelHash, bytes32 vkHash, uint32 nPublic);
    event KeyProvenanceRecorded(uint256 indexed modelId, address indexed registrant, PtauKind ptau, uint8 ptauPower, Phase2Kind phase2, uint32 contributions);
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
    /// The key provenance contradicts itself; `reason` names the field.
    error BadProvenance(string reason);

    /**
     * @param weightsCommitment with private weights (a WeightsCommitment segment of size 1 in the
     *        layout), the commitment published for the model's weights; otherwise 0. The verifying
     *        key then names only the architecture: this value names the weights.
     * @param provenance how the key was made (see KeyProvenance): the registrant's statement.
     * @return modelId the new model's id (its index; ids start at 0).
     */
    function registerModel(
        address verifier,
        bytes32 modelHash,
        bytes32 vkHash,
        Segment[] calldata layout,
        uint256 weightsCommitment,
        KeyProvenance calldata provenance
    ) external returns (uint256 modelId) {
        if (verifier.code.length == 0) revert NotAContract(verifier);
        _checkProvenance(provenance);
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
        provenances[modelId] = provenance;
        emit ModelRegistered(modelId, verifier, modelHash, vkHash, uint32(n));
        emit KeyProvenanceRecorded(modelId, msg.sender, provenance.ptau, provenance.ptauPower, provenance.phase2, provenance.contributions);
    }

    /// What can be checked without the key's history: the fields agree with each other and with the pinned files' range.
    function _checkProvenance(KeyProvenance calldata p) internal pure {
        // BN254 has 2^28-th roots of unity at most; the pinned public files are powers 8..28.
        if (p.ptauPower == 0 || p.ptauPower > 28) revert BadProvenance("ptauPower");
        if (p.ptau == PtauKind.Pinned && p.ptauPower < 8) revert BadProvenance("ptauPower");
        if (p.ptauBlake2b512[0] == 0 && p.ptauBlake2b512[1] == 0) revert BadProvenance("ptauBlake2b512");
        if (p.circuitHash == 0) revert BadProvenance("circuitHash");
        if (p.contributions == 0) revert BadProvenance("contributions");
        // A ceremony is named by its published transcript; a local setup has none.
        if ((p.phase2 == Phase2Kind.Ceremony) != (p.transcriptHash != 0)) revert BadProvenance("transcriptHash");
    }

    /// How the model's key was made, as its registrant (`model(id).registrant`) stated at registration.
    function provenanceOf(uint256 modelId) external view returns (KeyProvenance memory) {
        if (modelId >= models.length) revert UnknownModel(modelId);
        return provenances[modelId];
    }

    /**
     * True when the registrant stated a key from a public ceremony in both phases: a pinned ptau and a
     * multi-party phase 2 with at least `minContributions` contributions. A dev ptau or a local phase 2
     * means one machine knew a secret that forges proofs.
     */
    function isCeremonyKey(uint256 modelId, uint32 minContributions) external view returns (bool) {
        if (modelId >= models.length) revert UnknownModel(modelId);
        KeyProvenance storage p = provenances[modelId];
        return p.ptau == PtauKind.Pinned && p.phase2 == Phase2Kind.Ceremony && p.contributions >= minContributions;
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
        Model storage m = _checkSignals(modelId, publicSignals);
        // Before the pairing check: a replay costs no verification.
        nullifier = keccak256(abi.encode(modelId, publicSignals));
        if (accepted[nullifier] != 0) revert AlreadyAccepted(nullifier);
        _verifyProof(m, publicSignals, proof);
        accepted[nullifier] = modelId + 1;

        (outputs, commitments) = decode(modelId, publicSignals);
        emit InferenceAccepted(modelId, nullifier, msg.sender, outputs, commitments);
    }

    /**
     * @notice Every check of submitInference except the replay check, recording nothing: reverts on a
     *         refused proof, returns the decoded result of a valid one (accepted before or not).
     */
    function verify(uint256 modelId, uint256[] calldata publicSignals, uint256[8] calldata proof)
        external
        view
        returns (int256[] memory outputs, uint256[] memory commitments)
    {
        _verifyProof(_checkSignals(modelId, publicSignals), publicSignals, proof);
        return decode(modelId, publicSignals);
    }

    /// The model, after the checks that need no pairing: signal count, field range, pinned weights.
    function _checkSignals(uint256 modelId, uint256[] calldata publicSignals) internal view returns (Model storage m) {
        if (modelId >= models.length) revert UnknownModel(modelId);
        m = models[modelId];
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
    }

    function _verifyProof(Model storage m, uint256[] calldata publicSignals, uint256[8] calldata proof) internal view {
        (bool ok, bytes memory ret) = m.verifier.staticcall(abi.encodePacked(m.selector, proof, publicSignals));
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != 1) revert ProofRejected();
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
