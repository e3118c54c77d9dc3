/**
 * End-to-end encrypted channels (`private-encrypted-…`): the per-channel shared secret a channel
 * authorization hands to the client, derived from the app's master key as the Pusher server SDKs derive it.
 */
import { createHash } from 'node:crypto'

/** The 32-byte key of a `encryptionMasterKey` option (already validated as 32 bytes in base64). */
export function decodeMasterKey (base64: string): Buffer {
  const key = Buffer.from(base64, 'base64')
  if (key.length !== 32) throw new RangeError(`an encryption master key must be 32 bytes, got ${key.length}`)
  return key
}

/** SHA-256 of the channel name's UTF-8 bytes followed by the master key: the channel's 32-byte secret. */
export function channelSharedSecret (masterKey: Buffer, channel: string): Buffer {
  return createHash('sha256').update(Buffer.concat([Buffer.from(channel, 'utf8'), masterKey])).digest()
}
