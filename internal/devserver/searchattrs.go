package devserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"sort"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"google.golang.org/grpc"
)

// ensureSearchAttributes registers, through the operator API, the custom
// search attributes that the namespace lacks (those already there from its
// creation are left alone). An existing attribute of another type is an
// error.
func ensureSearchAttributes(ctx context.Context, addr string, tlsConf *tls.Config, namespace string, want map[string]enumspb.IndexedValueType) error {
	conn, err := grpc.NewClient(addr, transportCredentials(tlsConf))
	if err != nil {
		return fmt.Errorf("connect to frontend %s: %w", addr, err)
	}
	defer func() { _ = conn.Close() }()
	op := operatorservice.NewOperatorServiceClient(conn)
	list, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	have := list.GetCustomAttributes()
	missing := map[string]enumspb.IndexedValueType{}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		typ, ok := have[name]
		switch {
		case !ok:
			missing[name] = want[name]
		case typ != want[name]:
			return fmt.Errorf("search attribute %q already exists as %s, not %s", name, typ, want[name])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}
