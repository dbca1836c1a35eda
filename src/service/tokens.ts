/** Injection tokens for the framework-free objects the controllers use. */
export const ENGINE = 'zkml:engine';
export const RUNTIME = 'zkml:runtime';
