package codec_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/codec"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func mustKeys(t *testing.T, text string) *codec.Keys {
	t.Helper()
	k, err := codec.ParseKeys(text)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func genLine(t *testing.T, id string) string {
	t.Helper()
	l, err := codec.GenerateKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRoundTripAndRotation(t *testing.T) {
	old, cur := genLine(t, "2026-05"), genLine(t, "2026-11")
	oldDC := codec.NewDataConverter(codec.New(mustKeys(t, old), codec.Options{}))
	rotated := codec.New(mustKeys(t, "# rotated\n"+cur+"\n\n"+old+"\n"), codec.Options{})
	newDC := codec.NewDataConverter(rotated)

	const canary = "canary-7f3e"
	p, err := oldDC.ToPayload(map[string]string{"secret": canary})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.Metadata[converter.MetadataEncoding]); got != codec.MetadataEncodingEncrypted {
		t.Fatalf("encoding %q", got)
	}
	if got := string(p.Metadata[codec.MetadataKeyID]); got != "2026-05" {
		t.Fatalf("key id %q", got)
	}
	if bytes.Contains(p.Data, []byte(canary)) {
		t.Fatal("ciphertext holds the plaintext")
	}
	// The rotated key list still reads what the old key wrote...
	var v map[string]string
	if err := newDC.FromPayload(p, &v); err != nil || v["secret"] != canary {
		t.Fatalf("decode with rotated keys: %v %v", v, err)
	}
	// ...and writes with the new key, which the old list cannot read.
	p2, err := newDC.ToPayload("x")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p2.Metadata[codec.MetadataKeyID]); got != "2026-11" {
		t.Fatalf("rotated codec encrypts with %q", got)
	}
	var s string
	err = oldDC.FromPayload(p2, &s)
	var ke *codec.KeyError
	if !errors.As(err, &ke) || !ke.Missing || ke.KeyID != "2026-11" {
		t.Fatalf("old keys on new payload: %v", err)
	}
	if !strings.Contains(err.Error(), `"2026-11"`) || !strings.Contains(err.Error(), "configured: 2026-05") {
		t.Fatalf("message: %v", err)
	}
}

func TestWrongKeySameID(t *testing.T) {
	a := codec.New(mustKeys(t, genLine(t, "k1")), codec.Options{})
	b := codec.New(mustKeys(t, genLine(t, "k1")), codec.Options{Hint: "set the right key"})
	enc, err := a.Encode([]*commonpb.Payload{{Data: []byte("hello")}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Decode(enc)
	var ke *codec.KeyError
	if !errors.As(err, &ke) || ke.Missing || ke.KeyID != "k1" {
		t.Fatalf("got %v", err)
	}
	if want := `payload encrypted with key "k1" does not decrypt`; !strings.Contains(err.Error(), want) || !strings.HasSuffix(err.Error(), ": set the right key") {
		t.Fatalf("message %q", err)
	}
}

func TestKeyIDIsAuthenticated(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	// Two ids with the same key material: moving a payload's id must fail.
	c := codec.New(mustKeys(t, "a:"+secret+",b:"+secret), codec.Options{})
	enc, err := c.Encode([]*commonpb.Payload{{Data: []byte("hello")}})
	if err != nil {
		t.Fatal(err)
	}
	enc[0].Metadata[codec.MetadataKeyID] = []byte("b")
	if _, err := c.Decode(enc); err == nil {
		t.Fatal("a payload relabelled with another key id decrypted")
	}
	enc[0].Metadata[codec.MetadataKeyID] = []byte("a")
	enc[0].Data[len(enc[0].Data)-1] ^= 1
	if _, err := c.Decode(enc); err == nil {
		t.Fatal("an altered payload decrypted")
	}
}

func TestNoKeys(t *testing.T) {
	none := codec.New(nil, codec.Options{Hint: "set DSLRUN_CODEC_KEYS"})
	in := []*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`1`)}}
	out, err := none.Encode(in)
	if err != nil || out[0] != in[0] || none.Encrypts() {
		t.Fatalf("a codec without keys changed a payload: %v", err)
	}
	if out, err := none.Decode(in); err != nil || out[0] != in[0] {
		t.Fatalf("plain payload: %v", err)
	}
	enc, err := codec.New(mustKeys(t, genLine(t, "prod-1")), codec.Options{}).Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = none.Decode(enc)
	if err == nil || err.Error() != `payload is encrypted with key "prod-1", and no codec key is configured: set DSLRUN_CODEC_KEYS` {
		t.Fatalf("got %v", err)
	}
	// An already encrypted payload is not encrypted twice.
	again, err := codec.New(mustKeys(t, genLine(t, "other")), codec.Options{}).Encode(enc)
	if err != nil || again[0] != enc[0] {
		t.Fatalf("re-encoded: %v", err)
	}
}

func TestParseKeysErrors(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	short := base64.StdEncoding.EncodeToString([]byte("short"))
	for _, tc := range []struct{ in, want string }{
		{"", "no key"},
		{"# only a comment\n", "no key"},
		{"nocolon", "key 1: want ID:BASE64"},
		{"k:" + short, `key 1: key "k": 5 bytes, want 32`},
		{"k:***", `key 1 ("k"): the key is not standard base64`},
		{"bad id:" + secret, `only letters, digits`},
		{"k:" + secret + "\nk:" + secret, `key 2: key "k" is given twice`},
	} {
		_, err := codec.ParseKeys(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseKeys(%q) = %v, want %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error shows key material: %v", err)
		}
	}
	k := mustKeys(t, "a:"+secret+", b:"+secret)
	if k.Current() != "a" || k.String() != "codec keys [a, b]" {
		t.Fatalf("%s current %s", k, k.Current())
	}
}

func TestDataConverterPanicsInWorkflowCode(t *testing.T) {
	enc, err := codec.NewDataConverter(codec.New(mustKeys(t, genLine(t, "w1")), codec.Options{})).ToPayload("x")
	if err != nil {
		t.Fatal(err)
	}
	dc := codec.NewDataConverter(codec.New(nil, codec.Options{}))
	var s string
	// A client or an activity gets the error...
	if err := dc.(converter.ContextAware).WithContext(context.Background()).FromPayload(enc, &s); err == nil {
		t.Fatal("no error")
	}
	// ...workflow code panics with it, so that the workflow task fails.
	defer func() {
		p := recover()
		err, _ := p.(error)
		var ke *codec.KeyError
		if !errors.As(err, &ke) || ke.KeyID != "w1" {
			t.Fatalf("recovered %v", p)
		}
	}()
	wdc := dc.(converter.ContextAware).WithWorkflowContext(nil)
	wdc = wdc.(converter.DataConverterWithSerializationContext).WithSerializationContext(nil)
	_ = wdc.FromPayloads(&commonpb.Payloads{Payloads: []*commonpb.Payload{enc}}, &s)
	t.Fatal("no panic")
}
