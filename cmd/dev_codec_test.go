package dslruncmd_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dslrun/dslrun/codec"
	"go.temporal.io/sdk/client"
)

// TestDevCodecUI starts dslrun dev with a codec key: its Web UI's settings
// name the codec server that dev runs, and that server decodes, for the
// UI's origin, the encrypted input of a run as the UI's history API returns
// it, as the browser does.
func TestDevCodecUI(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, hangBound)
	key, err := codec.GenerateKey("dev-ui-1")
	if err != nil {
		t.Fatal(err)
	}
	uiPort := freePort(t)
	dev := startDslrun(t, []string{"DSLRUN_CODEC_KEYS=" + key}, "dev", "--memory", "--port", "0", "--ui-port", strconv.Itoa(uiPort))
	addr := dev.waitOutput(t, frontendLine, hangBound)[1]
	codecURL := dev.waitOutput(t, regexp.MustCompile(`(?m)^  codec server +(http://\S+)  \(the Web UI decodes payloads through it\)$`), hangBound)[1]
	dev.waitOutput(t, bannerEnd, hangBound)
	ui := "http://127.0.0.1:" + strconv.Itoa(uiPort)

	var settings struct{ Codec struct{ Endpoint string } }
	getJSON(ctx, t, ui+"/api/v1/settings", &settings)
	if settings.Codec.Endpoint != codecURL {
		t.Errorf("the UI's codec endpoint is %q, want dev's codec server %s", settings.Codec.Endpoint, codecURL)
	}

	// A run with a canary in its input, started by a client with the key.
	const canary = "canary-dev-ui-7f3a"
	keys, err := codec.ParseKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: addr, DataConverter: codec.NewDataConverter(codec.New(keys, codec.Options{})), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "codec-ui", TaskQueue: "no-worker-here"}, "hello", map[string]string{"name": canary}); err != nil {
		t.Fatal(err)
	}

	// The UI's history API returns the input encrypted ...
	var history struct {
		History struct {
			Events []struct {
				WorkflowExecutionStartedEventAttributes *struct {
					Input json.RawMessage `json:"input"`
				} `json:"workflowExecutionStartedEventAttributes"`
			} `json:"events"`
		} `json:"history"`
	}
	getJSON(ctx, t, ui+"/api/v1/namespaces/default/workflows/codec-ui/history", &history)
	if len(history.History.Events) == 0 || history.History.Events[0].WorkflowExecutionStartedEventAttributes == nil {
		t.Fatalf("no started event in the UI's history: %+v", history)
	}
	input := history.History.Events[0].WorkflowExecutionStartedEventAttributes.Input
	if bytes.Contains(input, []byte(canary)) || !bytes.Contains(input, []byte(base64.StdEncoding.EncodeToString([]byte("binary/encrypted")))) {
		t.Errorf("the UI's history holds the input in the clear, or not encrypted: %s", input)
	}
	// ... and the codec server decodes it for the UI's origin.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, codecURL+"/decode", bytes.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", ui)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != ui {
		t.Fatalf("decode for %s: %s, allow-origin %q: %s", ui, resp.Status, resp.Header.Get("Access-Control-Allow-Origin"), body)
	}
	var decoded struct {
		Payloads []struct {
			Data []byte `json:"data"`
		} `json:"payloads"`
	}
	if err := json.Unmarshal(body, &decoded); err != nil || len(decoded.Payloads) == 0 {
		t.Fatalf("decode: %v: %s", err, body)
	}
	var all strings.Builder
	for _, p := range decoded.Payloads {
		all.Write(p.Data)
	}
	if !strings.Contains(all.String(), canary) {
		t.Errorf("decoded input lacks the canary: %s", all.String())
	}
	if err := c.TerminateWorkflow(ctx, "codec-ui", "", "test over"); err != nil {
		t.Error(err)
	}

	dev.signal(t, syscall.SIGINT)
	if code := dev.wait(t, hangBound); code != 0 {
		t.Errorf("dev exited %d:\n%s", code, dev.output())
	}
}
