package devserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// workflowServiceName is the gRPC health-check name of the frontend's
// workflow service; it reports SERVING once membership is ready.
const workflowServiceName = "temporal.api.workflowservice.v1.WorkflowService"

// readyTimeout caps each wait for a service to come up when ctx has no
// earlier deadline.
const readyTimeout = 30 * time.Second

// pollInterval is the pause between two readiness checks.
const pollInterval = 10 * time.Millisecond

// waitFrontend waits until the frontend's workflow service reports SERVING.
// tlsConf is nil when the frontend serves plain text.
func waitFrontend(ctx context.Context, addr string, tlsConf *tls.Config) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	conn, err := grpc.NewClient(addr, transportCredentials(tlsConf))
	if err != nil {
		return fmt.Errorf("connect to frontend %s: %w", addr, err)
	}
	defer func() { _ = conn.Close() }()
	health := healthpb.NewHealthClient(conn)
	for {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: workflowServiceName})
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("status %s", resp.GetStatus())
			}
			return fmt.Errorf("frontend %s not ready: %w (%w)", addr, ctx.Err(), err)
		case <-time.After(pollInterval):
		}
	}
}

// transportCredentials are TLS with tlsConf, or plain text when it is nil.
func transportCredentials(tlsConf *tls.Config) grpc.DialOption {
	if tlsConf == nil {
		return grpc.WithTransportCredentials(insecure.NewCredentials())
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(tlsConf))
}

// waitUI waits until the Web UI answers its health check, or its server
// goroutine ends (done closed), which means it could not serve.
func waitUI(ctx context.Context, addr string, done <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	url := "http://" + addr + "/healthz"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("web UI health check: %w", err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-done:
			return fmt.Errorf("web UI on %s stopped before it was ready", addr)
		case <-ctx.Done():
			return fmt.Errorf("web UI on %s not ready: %w (%w)", addr, ctx.Err(), err)
		case <-time.After(pollInterval):
		}
	}
}
