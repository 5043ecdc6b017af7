// Package codec encrypts Temporal payloads with AES-256-GCM, so that the
// Temporal server (its database, its history API, its Web UI) only ever
// holds ciphertext.
//
// A Codec is a converter.PayloadCodec: give it to a client through
// converter.NewCodecDataConverter (NewDataConverter does that), and every
// payload the client or its workers write (workflow and activity inputs
// and results, signals, queries, updates, memos, markers, failure details)
// is encrypted before it leaves the process and decrypted when it comes
// back. The same codec serves the remote codec endpoints of the Temporal
// Web UI and CLI through converter.NewPayloadCodecHTTPHandler.
//
// An encrypted payload has the metadata encoding "binary/encrypted" and the
// id of its key under "encryption-key-id", as in Temporal's encryption
// sample. Its data is a 12-byte random nonce followed by the AES-GCM
// sealing of the original payload (metadata and data, protobuf-encoded),
// with the key id as additional authenticated data: a payload whose key id
// was changed does not decrypt.
//
// # Keys and rotation
//
// Keys are a list: the first key encrypts, every key decrypts. To rotate,
// put a new key first and keep the old ones after it for as long as
// histories encrypted with them must stay readable. The text form read by
// ParseKeys and LoadKeyFile is one key a line, ID:BASE64, where BASE64 is
// the standard base64 encoding of 32 random bytes:
//
//	# the first key encrypts; every key decrypts
//	2026-11:q4Jt0G1v0y0m0ib0S3nQb1xv6sH9l5N0s7wR1b3a9ZQ=
//	2026-05:3b2N9kKx1Dq0m5H2fX8u0rC6tY4eW7pZa1sV9gJ2kLo=
//
// Lines may also be separated by commas (for an environment variable);
// blank lines and lines starting with # are skipped. A key id is 1 to 64
// letters, digits, '.', '_' or '-'. GenerateKey makes a line.
//
// A Codec never logs and never formats key material: errors name key ids
// only.
//
// # Errors
//
// Decoding a payload whose key is not configured, or that does not
// authenticate under the key of its id (a wrong key, or an altered
// payload), fails with a *KeyError naming the key id. A Codec without keys
// (New(nil, ...)) leaves payloads as they are when encoding and fails the
// same way on any encrypted payload, which lets a client without keys say
// which key it would need instead of showing ciphertext.
//
// In workflow code, the data converter of NewDataConverter panics with the
// KeyError instead of returning it, so that the SDK fails the workflow task
// (retried) rather than the run: see NewDataConverter.
package codec
