/**
 * @module sim/proxy/proxy-route
 * Route patterns of fault rules: a path glob, or a regular expression.
 */

/** Glob to RegExp: `**` any characters, `*` any within one path segment, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** A predicate on the request path (query string excluded). */
export function compileRoute(glob: string, regex?: string): (path: string) => boolean {
  const re = regex !== undefined ? new RegExp(regex) : globToRegExp(glob);
  return (path) => re.test(path);
}
