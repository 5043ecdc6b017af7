//go:build noserver

package dslruncmd

import (
	"context"
	"errors"
)

// startEmbedded reports that this build has no embedded server.
func startEmbedded(context.Context, embeddedOptions) (*embeddedServer, error) {
	return nil, errors.New("this dslrun was built without the embedded Temporal server (-tags noserver): set --address or TEMPORAL_ADDRESS to use a running server")
}
