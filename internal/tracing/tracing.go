// Package tracing follows a request from the API into its workflows and
// activities with OpenTelemetry. It is off by default: until Setup installs an
// exporter, the global tracer provider is OpenTelemetry's no-op and every span
// costs nothing. Spans carry route templates, workflow types and activity
// names, never ids of people or their data.
package tracing

import (
	"context"
	"fmt"
	"sync"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// Exporters Setup knows.
const (
	ExporterNone = "none"
	ExporterOTLP = "otlp" // OTLP over gRPC to OTEL_EXPORTER_OTLP_ENDPOINT
)

const tracerName = "github.com/clinicflow/rcm"

// Setup installs the global tracer provider for exporter ("" or "none": off;
// "otlp": OTLP/gRPC, configured by the standard OTEL_EXPORTER_OTLP_* variables)
// and returns a function that flushes and stops it.
func Setup(ctx context.Context, exporter, service string) (func(context.Context) error, error) {
	switch exporter {
	case "", ExporterNone:
		return func(context.Context) error { return nil }, nil
	case ExporterOTLP:
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("tracing: otlp exporter: %w", err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
			sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
		Install(tp)
		return tp.Shutdown, nil
	default:
		return nil, fmt.Errorf("tracing: unknown exporter %q (want %s or %s)", exporter, ExporterNone, ExporterOTLP)
	}
}

// Install makes tp the global tracer provider and W3C trace context the
// propagator; tests use it with an in-memory exporter.
func Install(tp trace.TracerProvider) {
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
}

var (
	interceptorOnce sync.Once
	temporalTracing interceptor.Interceptor
	interceptorErr  error
)

// TemporalInterceptors are the client interceptors that carry a span from the
// caller into workflows and activities (and their spans back out). They use
// the global tracer provider, so they trace nothing until Setup or Install.
func TemporalInterceptors() ([]interceptor.ClientInterceptor, error) {
	interceptorOnce.Do(func() {
		temporalTracing, interceptorErr = temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{})
	})
	if interceptorErr != nil {
		return nil, fmt.Errorf("tracing: temporal interceptor: %w", interceptorErr)
	}
	return []interceptor.ClientInterceptor{temporalTracing}, nil
}

// Gin starts a server span per request, named by method and route template,
// continuing a trace the caller sent in a traceparent header.
func Gin(c *gin.Context) {
	ctx := otel.GetTextMapPropagator().Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
	ctx, span := otel.Tracer(tracerName).Start(ctx, c.Request.Method+" "+routeOf(c), trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
	status := c.Writer.Status()
	span.SetName(c.Request.Method + " " + routeOf(c))
	span.SetAttributes(attribute.String("http.request.method", c.Request.Method),
		attribute.String("http.route", routeOf(c)), attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, fmt.Sprintf("HTTP %d", status))
	}
}

func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "(no route)"
}
