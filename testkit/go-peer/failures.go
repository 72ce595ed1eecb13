package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/inngest/inngestgo"
	"github.com/inngest/inngestgo/step"
)

// failures: step and function errors, retries, NoRetryError, RetryAtError and the failure handler.
func failures() []fn {
	retries := func(n int) func(o *inngestgo.FunctionOpts) {
		return func(o *inngestgo.FunctionOpts) { o.Retries = inngestgo.IntPtr(n) }
	}
	return []fn{
		on("throws", func(ctx context.Context, in Input) (any, error) {
			_, err := step.Run(ctx, "boom", func(ctx context.Context) (int, error) { return 0, errors.New("kaput") })
			return nil, err
		}).with(retries(2)),
		on("throws-nonretriable", func(ctx context.Context, in Input) (any, error) {
			_, err := step.Run(ctx, "boom", func(ctx context.Context) (int, error) {
				return 0, inngestgo.NoRetryError(errors.New("no way"))
			})
			return nil, err
		}).with(retries(2)),
		// A step that fails for good returns its error to the function, which goes on.
		on("catches", func(ctx context.Context, in Input) (any, error) {
			_, err := step.Run(ctx, "boom", func(ctx context.Context) (int, error) {
				return 0, inngestgo.NoRetryError(errors.New("caught me"))
			})
			after, _ := step.Run(ctx, "after", func(ctx context.Context) (string, error) { return "recovered", nil })
			return Data{"caught": err != nil, "message": fmt.Sprint(err), "after": after}, nil
		}),
		on("fn-throws", func(ctx context.Context, in Input) (any, error) {
			return nil, errors.New("function kaput")
		}).with(retries(1)),
		on("fn-nonretriable", func(ctx context.Context, in Input) (any, error) {
			return nil, inngestgo.NoRetryError(errors.New("function no way"))
		}).with(retries(3)),
		// Fails on attempts 0 and 1, succeeds on attempt 2 (the default retries, 3, allow it).
		on("flaky", func(ctx context.Context, in Input) (any, error) {
			out, err := step.Run(ctx, "shaky", func(ctx context.Context) (string, error) {
				if in.InputCtx.Attempt < 2 {
					return "", fmt.Errorf("not yet on attempt %d", in.InputCtx.Attempt)
				}
				return fmt.Sprintf("fine on attempt %d", in.InputCtx.Attempt), nil
			})
			return Data{"out": out}, err
		}),
		// RetryAtError: the first attempt asks to be retried no sooner than 2 s later.
		on("retry-at", func(ctx context.Context, in Input) (any, error) {
			out, err := step.Run(ctx, "later", func(ctx context.Context) (int, error) {
				if in.InputCtx.Attempt == 0 {
					return 0, inngestgo.RetryAtError(errors.New("come back later"), time.Now().Add(2*time.Second))
				}
				return in.InputCtx.Attempt, nil
			})
			return Data{"attempt": out}, err
		}),
		on("doomed", func(ctx context.Context, in Input) (any, error) {
			_, err := step.Run(ctx, "always", func(ctx context.Context) (int, error) { return 0, errors.New("always") })
			return nil, err
		}).with(retries(1)),
		// inngestgo has no onFailure option: a failure handler is a function on inngest/function.failed.
		{
			opts: inngestgo.FunctionOpts{ID: "doomed-failure", Retries: inngestgo.IntPtr(0)},
			trigger: inngestgo.EventTrigger("inngest/function.failed",
				inngestgo.StrPtr("event.data.function_id == 'go-doomed'")),
			run: func(ctx context.Context, in Input) (any, error) {
				errData, _ := in.Event.Data["error"].(map[string]any)
				return Data{"handled": errData["message"], "failed": in.Event.Data["function_id"]}, nil
			},
		},
	}
}
