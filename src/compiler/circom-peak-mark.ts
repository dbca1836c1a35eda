/** The stderr line prefix of circom-peak.ts; the number after it is the peak resident memory in KiB. */
export const CIRCOM_PEAK_MARK = 'zkml-circom-peak-rss-kib=';
