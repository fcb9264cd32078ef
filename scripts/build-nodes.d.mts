export function buildNodes(opts?: { quiet?: boolean }): Promise<{ js: string; html: string }>;
