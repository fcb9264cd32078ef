/** Builds build/web (the worker page's scripts); returns the files written. */
export function buildWeb(options?: { quiet?: boolean }): Promise<string[]>;
