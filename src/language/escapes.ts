/**
 * Unescaping of protobuf text-format string literals: the C-style escapes protobuf's
 * tokenizer accepts (\a \b \f \n \r \t \v \\ \' \" \? \xH[H] \ooo \uXXXX \UXXXXXXXX).
 */

export interface EscapeProblem {
  /** Offset of the backslash within the literal's raw text (quotes included). */
  offset: number;
  length: number;
  message: string;
}

const SIMPLE: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/** `raw` includes the surrounding quotes. Problems are reported, never thrown. */
export function unescapeString(raw: string, problems?: EscapeProblem[]): string {
  const body = raw.slice(1, -1);
  if (body.indexOf('\\') < 0) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) {
      problems?.push({ offset: i + 1, length: 1, message: 'a string literal cannot end with a lone backslash' });
      break;
    }
    if (e in SIMPLE) {
      out += SIMPLE[e];
      i++;
    } else if (e === 'x' || e === 'X') {
      let j = i + 2;
      let hex = '';
      while (j < body.length && hex.length < 2 && isHex(body[j])) hex += body[j++];
      if (!hex) {
        problems?.push({ offset: i + 1, length: 2, message: '\\x must be followed by hexadecimal digits' });
        i++;
        continue;
      }
      out += String.fromCharCode(parseInt(hex, 16));
      i = j - 1;
    } else if (e >= '0' && e <= '7') {
      let j = i + 1;
      let oct = '';
      while (j < body.length && oct.length < 3 && body[j]! >= '0' && body[j]! <= '7') oct += body[j++];
      out += String.fromCharCode(parseInt(oct, 8));
      i = j - 1;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (hex.length !== n || ![...hex].every((h) => isHex(h))) {
        problems?.push({ offset: i + 1, length: 2 + hex.length, message: `\\${e} must be followed by ${n} hexadecimal digits` });
        i++;
        continue;
      }
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) {
        problems?.push({ offset: i + 1, length: 2 + n, message: `\\${e}${hex} is not a Unicode code point` });
      } else {
        out += String.fromCodePoint(code);
      }
      i += 1 + n;
    } else {
      problems?.push({ offset: i + 1, length: 2, message: `unknown escape sequence '\\${e}'` });
      out += e;
      i++;
    }
  }
  return out;
}
