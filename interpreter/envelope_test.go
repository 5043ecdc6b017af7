package interpreter

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"strings"
	"testing"

	"go.temporal.io/sdk/converter"

	"github.com/dslrun/dslrun/dsl"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	c := canonical(t, `
dsl: v1
name: seq
steps:
  - {id: a, activity: echo, with: {x: 1}}
  - {id: b, activity: echo, with: {x: "${ steps.a.result }"}}
  - {id: c, activity: echo, with: {x: "${ steps.b.result }"}}
output: ${ steps.c.result }
`)
	env := NewEnvelope(c, dsl.Hash(c))
	if len(env.Definition) > 0 || len(env.Deflated) == 0 || env.Hash != dsl.Hash(c) {
		t.Fatalf("envelope %+v, want the definition deflated, with its hash", env)
	}
	// Through the payload converter, as the run gets it.
	p, err := converter.GetDefaultDataConverter().ToPayload(env)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.GetData()) >= len(c) {
		t.Errorf("compact envelope %d bytes, the definition %d: not smaller", len(p.GetData()), len(c))
	}
	var got Envelope
	if err := converter.GetDefaultDataConverter().FromPayload(p, &got); err != nil {
		t.Fatal(err)
	}
	def, err := got.Canonical()
	if err != nil || !bytes.Equal(def, c) {
		t.Fatalf("Canonical() = %s, %v; want %s", def, err, c)
	}

	// The JSON form, of every run recorded before, is read as it is.
	old := Envelope{Definition: c}
	if def, err := old.Canonical(); err != nil || !bytes.Equal(def, c) {
		t.Errorf("JSON form: %s, %v", def, err)
	}
	var none *Envelope
	if def, err := none.Canonical(); err != nil || def != nil {
		t.Errorf("no envelope: %s, %v", def, err)
	}
}

// TestEnvelopeFormat1IsFrozen decodes a deflated definition made when
// format 1 was introduced: its dictionary must never change.
func TestEnvelopeFormat1IsFrozen(t *testing.T) {
	var env Envelope
	if err := json.Unmarshal([]byte(`{"deflated":"AcLm04zUnBxQqUCqH9OLUsFBS5RHU5Mz8pE8C9YLqmvAzlT3ADlBR0FdQVtBAxwC9nogfQr29grq4flFOSnqmgraCuqK6uD4qsXqS7CRUK/qwcwHqQcEAAD//w=="}`), &env); err != nil {
		t.Fatal(err)
	}
	def, err := env.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if want := frozenDefinition; string(def) != want {
		t.Errorf("inflated %s, want %s", def, want)
	}
}

const frozenDefinition = `{"dsl":"v1","name":"hello","options":{"taskQueue":"dslrun"},"steps":[{"id":"greet","kind":"activity","activity":{"name":"echo","with":{"greeting":"${ 'Hello, ' + (input?.name ?? 'World') + '!' }"}}}],"output":"${ steps.greet.result.greeting }"}`

func TestEnvelopeRefusesBadDeflated(t *testing.T) {
	bomb := func() []byte {
		var b bytes.Buffer
		b.WriteByte(deflatedFormat1)
		w, _ := flate.NewWriterDict(&b, flate.BestCompression, []byte(dictionary1))
		zeros := make([]byte, 1<<20)
		for range maxInflated>>20 + 1 {
			_, _ = w.Write(zeros)
		}
		_ = w.Close()
		return b.Bytes()
	}
	for _, tt := range []struct {
		name string
		env  Envelope
		want string
	}{
		{"unknown format", Envelope{Deflated: []byte{2, 0}}, "unknown format 2"},
		{"corrupt", Envelope{Deflated: []byte{deflatedFormat1, 0xff, 0xff, 0xff}}, "corrupt"},
		{"both forms", Envelope{Definition: []byte(`{}`), Deflated: []byte{deflatedFormat1}}, "twice"},
		{"too large", Envelope{Deflated: bomb()}, "inflates to more than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.env.Canonical()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
