// Package tclient connects to Temporal with the product's data converter and
// makes sure the namespace knows the product's search attributes.
package tclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"

	"github.com/clinicflow/rcm/internal/codec"
	"github.com/clinicflow/rcm/internal/metrics"
	"github.com/clinicflow/rcm/internal/tracing"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Dial connects to the frontend at hostPort, retrying for up to a minute while a
// server starts.
func Dial(ctx context.Context, hostPort, namespace string, dc converter.DataConverter, logger *slog.Logger) (client.Client, error) {
	interceptors, err := tracing.TemporalInterceptors()
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := client.DialContext(ctx, client.Options{
			HostPort: hostPort, Namespace: namespace, DataConverter: dc,
			FailureConverter: codec.FailureConverter(dc),
			Logger:           tlog.NewStructuredLogger(logger.With("component", "temporal-client")),
			MetricsHandler:   metrics.Temporal(metrics.Registry),
			Interceptors:     interceptors,
		})
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("connect to Temporal at %s: %w", hostPort, err)
		}
		time.Sleep(time.Second)
	}
}

// EnsureSearchAttributes registers the product's custom search attributes in the
// namespace; already registered ones are left as they are.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	req := &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: map[string]enums.IndexedValueType{}}
	for name, typ := range contract.SearchAttributes {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			req.SearchAttributes[name] = typ
		}
	}
	if len(req.SearchAttributes) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, req)
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}

// WaitReady blocks until the namespace answers a visibility query, which needs the
// frontend, history shards and persistence to be up (a restarted embedded server
// takes a few seconds to reacquire its shard).
func WaitReady(ctx context.Context, c client.Client, namespace string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.CountWorkflow(qctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("namespace %s on Temporal not ready: %w", namespace, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
