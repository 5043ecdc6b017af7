//go:build !unix

package exec

import (
	"context"
	"encoding/json"
)

// Execute fails: exec plugins need process groups and signals, which this
// package implements on Unix systems only.
func (p *Plugin) Execute(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
	return nil, failure(ErrorTypeStart, true, "plugin %q: exec plugins need a Unix system", p.Name)
}
