package codec

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// MetadataEncodingEncrypted is the encoding of an encrypted payload.
	MetadataEncodingEncrypted = "binary/encrypted"
	// MetadataKeyID is the metadata key holding the id of the key that
	// encrypted a payload.
	MetadataKeyID = "encryption-key-id"
)

// KeySize is the size of a key in bytes (AES-256).
const KeySize = 32

const (
	nonceSize   = 12
	maxKeyIDLen = 64
)

// Keys are AES-256 keys by id; the first one encrypts. The zero value and
// nil hold no key. Keys never print their key material.
type Keys struct {
	ids   []string // in order; ids[0] encrypts
	aeads map[string]cipher.AEAD
}

// NewKey adds a key: id and 32 bytes of key material. The first key added
// encrypts.
func (k *Keys) NewKey(id string, secret []byte) error {
	if err := checkKeyID(id); err != nil {
		return err
	}
	if len(secret) != KeySize {
		return fmt.Errorf("key %q: %d bytes, want %d (AES-256)", id, len(secret), KeySize)
	}
	if _, dup := k.aeads[id]; dup {
		return fmt.Errorf("key %q is given twice", id)
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return fmt.Errorf("key %q: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("key %q: %w", id, err)
	}
	if k.aeads == nil {
		k.aeads = map[string]cipher.AEAD{}
	}
	k.aeads[id] = aead
	k.ids = append(k.ids, id)
	return nil
}

// Current is the id of the key that encrypts, "" when there is none.
func (k *Keys) Current() string {
	if k == nil || len(k.ids) == 0 {
		return ""
	}
	return k.ids[0]
}

// IDs lists the key ids, the current one first.
func (k *Keys) IDs() []string {
	if k == nil {
		return nil
	}
	return append([]string(nil), k.ids...)
}

// Len is the number of keys.
func (k *Keys) Len() int {
	if k == nil {
		return 0
	}
	return len(k.ids)
}

// String lists the key ids, never the key material.
func (k *Keys) String() string {
	return fmt.Sprintf("codec keys [%s]", strings.Join(k.IDs(), ", "))
}

func checkKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLen {
		return fmt.Errorf("key id %q: want 1 to %d characters", id, maxKeyIDLen)
	}
	for _, r := range id {
		if !keyIDRune(r) {
			return fmt.Errorf("key id %q: only letters, digits, '.', '_' and '-' are allowed", id)
		}
	}
	return nil
}

// keyIDRune reports whether r may appear in a key id.
func keyIDRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return r == '.' || r == '_' || r == '-'
}

// ParseKeys reads keys in their text form (see the package documentation):
// ID:BASE64 entries separated by newlines or commas, # comments. The first
// key encrypts. Errors name the entry by its number and its key id, never
// its key material.
func ParseKeys(text string) (*Keys, error) {
	k := &Keys{}
	n := 0
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' }) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		id, b64, ok := strings.Cut(line, ":")
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		if !ok {
			return nil, fmt.Errorf("key %d: want ID:BASE64", n)
		}
		secret, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("key %d (%q): the key is not standard base64", n, id)
		}
		if err := k.NewKey(id, secret); err != nil {
			return nil, fmt.Errorf("key %d: %w", n, err)
		}
	}
	if k.Len() == 0 {
		return nil, errors.New("no key: want one ID:BASE64 entry or more")
	}
	return k, nil
}

// LoadKeyFile reads keys from a file in their text form.
func LoadKeyFile(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("codec key file: %w", err)
	}
	k, err := ParseKeys(string(b))
	if err != nil {
		return nil, fmt.Errorf("codec key file %s: %w", path, err)
	}
	return k, nil
}

// GenerateKey returns a new random key in its text form, "ID:BASE64".
func GenerateKey(id string) (string, error) {
	if err := checkKeyID(id); err != nil {
		return "", err
	}
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	return id + ":" + base64.StdEncoding.EncodeToString(secret), nil
}

// KeyError is the failure to decrypt a payload: its key is not configured,
// or the payload does not authenticate under the configured key of that
// id.
type KeyError struct {
	// KeyID is the id in the payload's metadata ("" when it has none).
	KeyID string
	// Missing is true when no key of that id is configured, false when
	// the key of that id did not decrypt the payload.
	Missing bool
	// Known are the ids of the configured keys.
	Known []string
	// Hint is appended to the message (how to configure keys).
	Hint string
}

func (e *KeyError) Error() string {
	var msg string
	switch {
	case e.KeyID == "":
		msg = "encrypted payload without a key id in its metadata"
	case e.Missing && len(e.Known) == 0:
		msg = fmt.Sprintf("payload is encrypted with key %q, and no codec key is configured", e.KeyID)
	case e.Missing:
		msg = fmt.Sprintf("payload is encrypted with key %q, which is not configured (configured: %s)", e.KeyID, strings.Join(e.Known, ", "))
	default:
		msg = fmt.Sprintf("payload encrypted with key %q does not decrypt with the configured key of that id: a wrong key, or an altered payload", e.KeyID)
	}
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// Options configure a Codec.
type Options struct {
	// Hint ends the message of a KeyError, to say how keys are
	// configured (for example which flag or variable to set).
	Hint string
}

// Codec is an AES-256-GCM converter.PayloadCodec. It is safe for
// concurrent use.
type Codec struct {
	keys *Keys
	opts Options
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec that encrypts with the first of keys and decrypts
// with any of them. With nil (or no) keys it encodes nothing and fails on
// every encrypted payload with a KeyError naming its key id.
func New(keys *Keys, opts Options) *Codec {
	if keys == nil {
		keys = &Keys{}
	}
	return &Codec{keys: keys, opts: opts}
}

// NewDataConverter is the SDK's default data converter with c applied to
// every payload.
//
// In workflow code (the SDK hands it the workflow context through
// converter.ContextAware), a payload that does not decrypt panics with its
// *KeyError instead of returning it. The SDK then fails the workflow task,
// which the server retries, and the run waits for a worker with the key;
// returned to workflow code, the error could fail the run instead (the
// SDK fails a run whose input does not decode), so that one worker started
// without the key would fail every run it picked up. Clients and activities
// get the error.
func NewDataConverter(c *Codec) converter.DataConverter {
	return &dataConverter{parent: converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)}
}

// dataConverter is a codec data converter that panics on a KeyError in
// workflow code.
type dataConverter struct {
	parent     converter.DataConverter
	inWorkflow bool
}

var (
	_ converter.ContextAware                          = (*dataConverter)(nil)
	_ converter.DataConverterWithSerializationContext = (*dataConverter)(nil)
)

func (d *dataConverter) check(err error) error {
	var ke *KeyError
	if d.inWorkflow && errors.As(err, &ke) {
		panic(err)
	}
	return err
}

// ToPayload implements converter.DataConverter.
func (d *dataConverter) ToPayload(value any) (*commonpb.Payload, error) {
	return d.parent.ToPayload(value)
}

// ToPayloads implements converter.DataConverter.
func (d *dataConverter) ToPayloads(value ...any) (*commonpb.Payloads, error) {
	return d.parent.ToPayloads(value...)
}

// FromPayload implements converter.DataConverter.
func (d *dataConverter) FromPayload(payload *commonpb.Payload, valuePtr any) error {
	return d.check(d.parent.FromPayload(payload, valuePtr))
}

// FromPayloads implements converter.DataConverter.
func (d *dataConverter) FromPayloads(payloads *commonpb.Payloads, valuePtrs ...any) error {
	return d.check(d.parent.FromPayloads(payloads, valuePtrs...))
}

// ToString implements converter.DataConverter.
func (d *dataConverter) ToString(payload *commonpb.Payload) string { return d.parent.ToString(payload) }

// ToStrings implements converter.DataConverter.
func (d *dataConverter) ToStrings(payloads *commonpb.Payloads) []string {
	return d.parent.ToStrings(payloads)
}

// WithWorkflowContext implements converter.ContextAware.
func (d *dataConverter) WithWorkflowContext(converter.WorkflowContext) converter.DataConverter {
	return &dataConverter{parent: d.parent, inWorkflow: true}
}

// WithContext implements converter.ContextAware.
func (d *dataConverter) WithContext(context.Context) converter.DataConverter {
	return &dataConverter{parent: d.parent}
}

// WithSerializationContext implements
// converter.DataConverterWithSerializationContext.
func (d *dataConverter) WithSerializationContext(sc converter.SerializationContext) converter.DataConverter {
	return &dataConverter{parent: converter.WithDataConverterSerializationContext(d.parent, sc), inWorkflow: d.inWorkflow}
}

// Encrypts reports whether c encrypts (it has a key).
func (c *Codec) Encrypts() bool { return c.keys.Len() > 0 }

// Encode encrypts each payload with the current key. Payloads that are
// already encrypted are left as they are. Without keys it returns the
// payloads unchanged.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keys.Current()
	if id == "" {
		return payloads, nil
	}
	aead := c.keys.aeads[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if isEncrypted(p) {
			out[i] = p
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("encode payload: %w", err)
		}
		buf := make([]byte, nonceSize, nonceSize+len(plain)+aead.Overhead())
		if _, err := rand.Read(buf); err != nil {
			return payloads, fmt.Errorf("encode payload: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncodingEncrypted),
				MetadataKeyID:              []byte(id),
			},
			Data: aead.Seal(buf, buf, plain, []byte(id)),
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload with the key of its id; other
// payloads are returned as they are. A payload that cannot be decrypted
// fails the whole call with a *KeyError.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if !isEncrypted(p) {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys.aeads[id]
		if id == "" || !ok {
			return payloads, &KeyError{KeyID: id, Missing: true, Known: c.keys.IDs(), Hint: c.opts.Hint}
		}
		data := p.GetData()
		if len(data) < nonceSize+aead.Overhead() {
			return payloads, &KeyError{KeyID: id, Known: c.keys.IDs(), Hint: c.opts.Hint}
		}
		plain, err := aead.Open(nil, data[:nonceSize], data[nonceSize:], []byte(id))
		if err != nil {
			return payloads, &KeyError{KeyID: id, Known: c.keys.IDs(), Hint: c.opts.Hint}
		}
		var dp commonpb.Payload
		if err := proto.Unmarshal(plain, &dp); err != nil {
			return payloads, fmt.Errorf("decode payload encrypted with key %q: %w", id, err)
		}
		out[i] = &dp
	}
	return out, nil
}

func isEncrypted(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[converter.MetadataEncoding]) == MetadataEncodingEncrypted
}
