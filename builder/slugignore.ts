/**
 * `.slugignore` (pure): Heroku's semantics. The listed files are removed from the pushed source
 * before the buildpacks run, so they never reach the slug. The format is .gitignore's without
 * negation: one pattern per line, `#` comments, `*` `?` `[…]` within a name, `**` across
 * directories, a leading or inner `/` anchors to the root, a trailing `/` matches directories only.
 */

export interface SlugIgnore {
  /** Whether `path` (relative, `/`-separated; `isDir` for directories) is removed, itself or through a parent. */
  ignores(path: string, isDir: boolean): boolean;
  /** Lines that were skipped, with why (negations are not supported, as on Heroku). */
  warnings: string[];
}

interface Rule {
  regex: RegExp;
  dirOnly: boolean;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        i += 1;
        if (atSegmentStart && slashAfter) {
          out += '(?:.*/)?'; // "**/" : zero or more directories
          i += 1;
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
      } else {
        let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        out += `[${body}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      i += 1;
      out += glob[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return out;
}

export function parseSlugIgnore(text: string | null): SlugIgnore {
  const rules: Rule[] = [];
  const warnings: string[] = [];
  for (const [index, rawLine] of (text ?? '').split(/\r?\n/).entries()) {
    let line = rawLine.replace(/(?<!\\)\s+$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    line = line.trimStart();
    if (line.startsWith('!')) {
      warnings.push(`.slugignore line ${index + 1}: "${line}" ignored (negations are not supported)`);
      continue;
    }
    const dirOnly = line.endsWith('/');
    let pattern = dirOnly ? line.replace(/\/+$/, '') : line;
    const anchored = pattern.includes('/');
    pattern = pattern.replace(/^\/+/, '');
    if (pattern === '') continue;
    const body = globToRegex(pattern);
    rules.push({ regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`), dirOnly });
  }

  const matches = (path: string, isDir: boolean): boolean =>
    rules.some((rule) => (!rule.dirOnly || isDir) && rule.regex.test(path));

  return {
    warnings,
    ignores(path: string, isDir: boolean): boolean {
      if (rules.length === 0) return false;
      const clean = path.replace(/^\.\//, '').replace(/\/+$/, '');
      if (clean === '' || clean === '.') return false;
      const parts = clean.split('/');
      for (let n = 1; n <= parts.length; n += 1) {
        const prefix = parts.slice(0, n).join('/');
        if (matches(prefix, n < parts.length || isDir)) return true;
      }
      return false;
    },
  };
}
