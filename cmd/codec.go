package dslruncmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dslrun/dslrun/codec"
	"github.com/spf13/pflag"
	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Environment variables of the payload codec's keys.
const (
	// envCodecKeyFile names a key file, as --codec-key-file does.
	envCodecKeyFile = "DSLRUN_CODEC_KEY_FILE"
	// envCodecKeys holds the keys themselves, ID:BASE64 entries separated
	// by commas or newlines.
	envCodecKeys = "DSLRUN_CODEC_KEYS"
)

// codecHint ends the error of a payload that does not decrypt.
const codecHint = "give dslrun the key with --codec-key-file, " + envCodecKeyFile + " or " + envCodecKeys + " (docs/encryption.md)"

// codecFlags say where the keys of the payload codec come from. Keys are
// never read from a definition, and never printed or logged.
type codecFlags struct {
	// KeyFile is --codec-key-file.
	KeyFile string
	// env, when set, is the environment to read DSLRUN_CODEC_* from instead
	// of the command's (dev, which hides TEMPORAL_* from its own client).
	env func(string) (string, bool)
}

func (f *codecFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.KeyFile, "codec-key-file", "",
		"file of payload encryption keys, ID:BASE64 a line, the first encrypts (env "+envCodecKeyFile+", or the keys themselves in "+envCodecKeys+"); default: no encryption")
}

// keys loads the configured keys: --codec-key-file, else
// DSLRUN_CODEC_KEY_FILE, else DSLRUN_CODEC_KEYS; nil when none is set.
func (f codecFlags) keys(lookupEnv func(string) (string, bool)) (*codec.Keys, error) {
	if f.env != nil {
		lookupEnv = f.env
	}
	get := func(k string) string {
		if lookupEnv == nil {
			return ""
		}
		v, _ := lookupEnv(k)
		return v
	}
	file := f.KeyFile
	if file == "" {
		file = get(envCodecKeyFile)
	}
	if file != "" {
		return codec.LoadKeyFile(file)
	}
	if text := get(envCodecKeys); text != "" {
		k, err := codec.ParseKeys(text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envCodecKeys, err)
		}
		return k, nil
	}
	return nil, nil
}

// newCodec is the payload codec of a command: with keys when some are
// configured, else one that passes payloads through and names the key an
// encrypted payload needs.
func (f codecFlags) newCodec(lookupEnv func(string) (string, bool)) (*codec.Codec, error) {
	keys, err := f.keys(lookupEnv)
	if err != nil {
		return nil, err
	}
	return codec.New(keys, codec.Options{Hint: codecHint}), nil
}

// configure sets the data and failure converters of copts to the codec's,
// and adds a gRPC interceptor that decodes what dslrun reads raw (history
// events and descriptions of runs), so that history, describe and apply's
// progress show plaintext. With keys, failure messages and stack traces
// are encrypted too (EncodeCommonAttributes).
func (f codecFlags) configure(copts *client.Options, lookupEnv func(string) (string, bool)) error {
	c, err := f.newCodec(lookupEnv)
	if err != nil {
		return err
	}
	dc := codec.NewDataConverter(c)
	copts.DataConverter = dc
	copts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: dc, EncodeCommonAttributes: c.Encrypts(),
	})
	copts.ConnectionOptions.DialOptions = append(copts.ConnectionOptions.DialOptions,
		grpc.WithChainUnaryInterceptor(decodeReads(c, dc)))
	return nil
}

// decodedMethods are the calls whose responses dslrun reads payload by
// payload itself rather than through the SDK's data converter.
var decodedMethods = map[string]bool{
	workflowservice.WorkflowService_GetWorkflowExecutionHistory_FullMethodName:        true,
	workflowservice.WorkflowService_GetWorkflowExecutionHistoryReverse_FullMethodName: true,
	workflowservice.WorkflowService_DescribeWorkflowExecution_FullMethodName:          true,
}

// decodeReads decodes the payloads and the encoded failure attributes of
// the responses of decodedMethods. Decoding is idempotent (a plaintext
// payload passes through the codec unchanged), so the SDK decoding them
// again, as the worker and WorkflowRun.Get do, is harmless. A payload that
// does not decrypt fails the call with the codec's error, which names its
// key id.
func decodeReads(c converter.PayloadCodec, dc converter.DataConverter) grpc.UnaryClientInterceptor {
	payloads := proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return c.Decode(ps)
		},
		SkipSearchAttributes: true,
	}
	failures := proxy.VisitFailuresOptions{
		Visitor: func(_ *proxy.VisitFailuresContext, f *failurepb.Failure) error {
			converter.DecodeCommonFailureAttributes(dc, f)
			return nil
		},
	}
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
			return err
		}
		msg, ok := reply.(proto.Message)
		if !ok || !decodedMethods[method] {
			return nil
		}
		if err := proxy.VisitFailures(ctx, msg, failures); err != nil {
			return status.Error(codes.FailedPrecondition, err.Error())
		}
		if err := proxy.VisitPayloads(ctx, msg, payloads); err != nil {
			// Not codes.Unknown, which the SDK retries until its deadline.
			return status.Error(codes.FailedPrecondition, err.Error())
		}
		return nil
	}
}

// isCodecError reports whether err is a payload that did not decrypt, as
// decodeReads returns it through the SDK (a FailedPrecondition whose
// message ends with codecHint).
func isCodecError(err error) bool {
	var fp *serviceerror.FailedPrecondition
	return errors.As(err, &fp) && strings.HasSuffix(fp.Message, codecHint)
}
