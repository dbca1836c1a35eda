/**
 * The slow test tier (`npm run test:slow`, ZKML_SLOW=1; ZKML_CORPUS_SLOW=1 is its older name): what
 * takes minutes and repeats what the default tier (`npm test`) already guards. There, every corpus
 * and shipped model is also set up, proved and verified (the default tier compiles each, checks its
 * honest witness against the r1cs and the integer reference and runs the soundness audit), and the
 * largest corpus models run at all. README (Development) says what each tier covers.
 */
export const SLOW = process.env.ZKML_SLOW === '1' || process.env.ZKML_CORPUS_SLOW === '1';

/** The `skip` option of a test that only the slow tier runs. */
export const slowTierOnly = (): false | string => (SLOW ? false : 'slow tier: npm run test:slow (ZKML_SLOW=1) runs it');
