package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// update is an update handler with its validator (nil for none).
type update struct {
	name      string
	handler   any
	validator any
}

// registerUpdates sets the update handlers of a workflow.
func registerUpdates(ctx workflow.Context, updates []update) error {
	for _, u := range updates {
		var opts workflow.UpdateHandlerOptions
		if u.validator != nil {
			opts.Validator = u.validator
		}
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, opts); err != nil {
			return err
		}
	}
	return nil
}

// listen applies every value the signal channel receives, in order, from a
// workflow goroutine.
func listen[T any](ctx workflow.Context, ch workflow.ReceiveChannel, apply func(T)) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var v T
			if !ch.Receive(ctx, &v) {
				return
			}
			apply(v)
		}
	})
}

// drain applies the values the channel holds but has not delivered yet, so none
// is lost when the workflow continues as new.
func drain[T any](ch workflow.ReceiveChannel, apply func(T)) {
	for {
		var v T
		if !ch.ReceiveAsync(&v) {
			return
		}
		apply(v)
	}
}
