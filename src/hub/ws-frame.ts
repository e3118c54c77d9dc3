/**
 * One channel event, framed once for every subscriber. A server's RFC 6455 text frame is unmasked, so the
 * bytes on the wire are the same for every connection: `framed` is written as is to each socket that
 * negotiated no extension, and `payload` goes through `ws` for the others.
 */
export interface PreparedFrame {
  readonly payload: Buffer
  readonly framed: Buffer
}

/** FIN + text opcode. */
const FIN_TEXT = 0x81

export function prepareFrame (text: string): PreparedFrame {
  const payload = Buffer.from(text)
  const length = payload.length
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10
  const framed = Buffer.allocUnsafe(header + length)
  framed[0] = FIN_TEXT
  if (length < 126) {
    framed[1] = length
  } else if (length < 65536) {
    framed[1] = 126
    framed.writeUInt16BE(length, 2)
  } else {
    framed[1] = 127
    framed.writeBigUInt64BE(BigInt(length), 2)
  }
  payload.copy(framed, header)
  return { payload, framed }
}
