// Any redirect whose target comes from a request (?next= on login, return_to on forms) goes
// through here, so a crafted link can never send someone to another site after they act.

/** A stand-in for our own origin: only a target that stays on it is followed. */
const ownOrigin = 'https://buychain.invalid';

/**
 * The target as a path on this site, or `fallback`. It must start with a single "/" (not "//",
 * not "/\", which browsers read as another host), and is then resolved the way a browser would
 * (tabs and newlines dropped, backslashes read as slashes, dot segments removed) against our
 * own origin; what leaves the origin is refused, and what is sent back is the resolved path.
 */
export function sameSitePath(target: unknown, fallback: string): string {
  if (typeof target !== 'string' || !/^\/(?![/\\])/.test(target)) return fallback;
  let resolved: URL;
  try {
    resolved = new URL(target, ownOrigin);
  } catch {
    return fallback;
  }
  if (resolved.origin !== ownOrigin) return fallback;
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
