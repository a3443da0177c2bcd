// Quoting for the POSIX shell commands sent to lab servers over SSH: one definition.

/** A word single-quoted for sh: safe for any text, including quotes. */
export const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
