/** Bytes a base64 string decodes to, from its length and padding alone (no decoding). */
export function base64DecodedLength(base64: string): number {
  const length = base64.length;
  const padding = base64.charCodeAt(length - 1) === 61 ? (base64.charCodeAt(length - 2) === 61 ? 2 : 1) : 0;
  return (length * 3) / 4 - padding;
}
