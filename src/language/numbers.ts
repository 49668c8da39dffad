/**
 * Number literals of protobuf text format: decimal, hexadecimal (0x1F) and octal (017)
 * integers, and floats such as `5e-05`, `1.`, `.5` or `1.5f`. A literal must not run into a
 * letter, digit, `_` or `.` (`1abc` and `1.2.3` are errors, as in protobuf).
 */
export const NUMBER_PATTERN =
  /(?:0[xX][0-9a-fA-F]+|(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?[fF]?|\d+[eE][+-]?\d+[fF]?|0[0-7]*[fF]?|[1-9]\d*[fF]?)(?![\w.])/;

export interface NumberValue {
  value: number;
  integer: boolean;
}

export function numberValue(raw: string): NumberValue {
  const c1 = raw.charCodeAt(1);
  if (raw.length > 1 && raw.charCodeAt(0) === 48 /* 0 */ && (c1 === 120 || c1 === 88) /* x X */) {
    return { value: parseInt(raw.slice(2), 16), integer: true };
  }
  const last = raw.charCodeAt(raw.length - 1);
  const suffixed = last === 102 || last === 70; /* f F */
  const body = suffixed ? raw.slice(0, -1) : raw;
  const isFloat = suffixed || /[.eE]/.test(body);
  if (isFloat) return { value: parseFloat(body), integer: false };
  if (body.length > 1 && body.charCodeAt(0) === 48) return { value: parseInt(body, 8), integer: true };
  return { value: Number(body), integer: true };
}

/** Identifiers that protobuf reads as float values (case-insensitive), with or without a sign. */
export function specialFloat(name: string): number | undefined {
  switch (name.toLowerCase()) {
    case 'inf':
    case 'infinity':
      return Infinity;
    case 'nan':
      return NaN;
    default:
      return undefined;
  }
}
