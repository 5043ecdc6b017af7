package interpreter

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dslrun/dslrun/dsl"
)

// The compact envelope: the canonical definition recorded DEFLATE-compressed
// (RFC 1951) with a preset dictionary, as Envelope.Deflated, instead of as
// JSON in Envelope.Definition. A definition is recorded in every run's start
// event; compressed, it costs a run's history about a third of its JSON
// (a fifth for a long one). Runs stay self-contained: the history holds
// the whole definition, and its hash in clear beside it.

// deflatedFormat1 is the first byte of Envelope.Deflated in format 1: the
// rest is a raw DEFLATE stream made with dictionary1.
const deflatedFormat1 = 1

// dictionary1 is the preset dictionary of format 1: fragments of canonical
// definitions, the most frequent last. It is frozen: histories recorded
// with it are read with it forever; a better dictionary is a new format.
const dictionary1 = `"description":"","schedule":{"cron":"","calendars":[],"intervals":[{"every":""}]},"queries":{},"updates":{"validate":"${ args.","signals":{},` +
	`"input":{"type":"object","required":[],"properties":{"type":"string"},"type":"integer"},"type":"number"},"type":"boolean"},"type":"array","items":` +
	`{"kind":"switch","switch":{"cases":[{"when":"${ ","do":[]}],"default":[]}},{"kind":"race","race":[[],[]]},` +
	`{"kind":"child","child":{"workflow":"","parentClosePolicy":"terminate","wait":true,"definition":{` +
	`{"kind":"signalWorkflow","signalWorkflow":{"workflowId":"${ ","signal":"",` +
	`{"kind":"sleep","sleep":"1s"},{"kind":"await","await":{"cond":"${ state.","timeout":""}},{"kind":"log","log":{"level":"info","message":"${ ` +
	`{"kind":"return","return":{"value":{"status":"${ "}},{"kind":"fail","fail":{"message":"","type":""}},{"kind":"continueAsNew","continueAsNew":{}},` +
	`{"kind":"try","try":{"do":[],"catch":[{"types":[],"do":[]}],"finally":[]}},` +
	`"retry":{"initialInterval":"1s","backoffCoefficient":2,"maximumInterval":"","maximumAttempts":3,"nonRetryableErrorTypes":[]},` +
	`"heartbeatTimeout":"","scheduleToCloseTimeout":"","local":true,` +
	`{"kind":"parallel","parallel":[[{"id":"","kind":"activity","activity":{"name":"","with":{}}],[]]},` +
	`{"kind":"while","while":{"cond":"${ state.","do":[]}},` +
	`{"kind":"forEach","forEach":{"items":"${ input.items }","as":"item","index":"index","concurrency":10,"do":[` +
	`{"kind":"if","if":{"cond":"${ state.","then":[],"else":[]}},` +
	`{"kind":"set","set":{"":"${ state. + 1 }"}},` +
	`{"dsl":"v1","name":"","state":{},"options":{"taskQueue":"dslrun"},"steps":[{"id":"","kind":"activity","activity":{"name":"","with":{"":"${ input.","":"${ steps..result }"},"startToCloseTimeout":"10s"}},` +
	`],"output":"${ steps..result }"}`

// NewEnvelope returns the envelope that carries canonical, with its hash,
// to a new run: compressed, or as JSON when that is not larger.
func NewEnvelope(canonical []byte, hash string) Envelope {
	if d, err := deflate(canonical); err == nil && len(d)*4/3 < len(canonical) {
		return Envelope{Deflated: d, Hash: hash}
	}
	return Envelope{Definition: canonical, Hash: hash}
}

// The compact start: NewStart sends the definition as bytes (the SDK's
// binary/plain payload), the bytes of Envelope.Deflated without base64,
// JSON keys or hash, after the input: the arguments are [input, D], or
// [D] alone when the input is nil. The worker computes the hash from the
// definition. A JSON text never starts with the format byte, so D is told
// apart from an input or a JSON envelope by its first byte.

// DecodeArgs returns the input and the envelope (nil for none) of a run
// from its first two arguments, each decoded into a json.RawMessage by the
// data converter (a binary payload gives its bytes, a null or missing one
// nil). It reads every form a run was started with: [input],
// [input, JSON envelope], [input, compact definition] and [compact
// definition]. A compact definition comes back inflated, with its hash.
func DecodeArgs(first, second json.RawMessage) (input json.RawMessage, env *Envelope, err error) {
	switch {
	case isCompact(second):
		env, err = compactEnvelope(second)
		return first, env, err
	case len(second) == 0 && isCompact(first):
		env, err = compactEnvelope(first)
		return nil, env, err
	case len(second) > 0:
		if err := json.Unmarshal(second, &env); err != nil {
			return nil, nil, fmt.Errorf("the envelope: %v", err)
		}
	}
	return first, env, nil
}

// isCompact reports whether an argument is a compact definition.
func isCompact(arg json.RawMessage) bool {
	return len(arg) > 0 && arg[0] == deflatedFormat1
}

func compactEnvelope(d []byte) (*Envelope, error) {
	def, err := inflate(d)
	if err != nil {
		return nil, err
	}
	return &Envelope{Definition: def, Hash: dsl.Hash(def)}, nil
}

// Canonical returns the definition the envelope carries (nil for none),
// from Definition or Deflated, whichever is set.
func (e *Envelope) Canonical() ([]byte, error) {
	if e == nil {
		return nil, nil
	}
	if len(e.Deflated) == 0 {
		return e.Definition, nil
	}
	if len(e.Definition) > 0 {
		return nil, errors.New("the envelope holds the definition twice (definition and deflated)")
	}
	return inflate(e.Deflated)
}

func deflate(canonical []byte) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte(deflatedFormat1)
	w, err := flate.NewWriterDict(&b, flate.BestCompression, []byte(dictionary1))
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(canonical); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// maxInflated bounds a deflated definition's size, as the payload limit
// bounds a definition in JSON: a small payload must not inflate to
// gigabytes in workflow code.
const maxInflated = 4 * PayloadLimit

func inflate(d []byte) ([]byte, error) {
	if len(d) == 0 {
		return nil, errors.New("the deflated definition is empty")
	}
	if d[0] != deflatedFormat1 {
		return nil, fmt.Errorf("unknown format %d of the deflated definition (a newer dslrun wrote it?)", d[0])
	}
	r := flate.NewReaderDict(bytes.NewReader(d[1:]), []byte(dictionary1))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxInflated+1))
	if err != nil {
		return nil, fmt.Errorf("the deflated definition is corrupt: %w", err)
	}
	if len(out) > maxInflated {
		return nil, fmt.Errorf("the deflated definition inflates to more than %d bytes", maxInflated)
	}
	return out, nil
}
