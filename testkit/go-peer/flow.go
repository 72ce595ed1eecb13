package main

import (
	"context"
	"time"

	"github.com/inngest/inngestgo"
	"github.com/inngest/inngestgo/step"
)

// window is a step that takes 300 ms and says when it ran, so that a test can see runs overlap or not.
func window(ctx context.Context, id string) Data {
	out, _ := step.Run(ctx, id, func(ctx context.Context) (Data, error) {
		start := time.Now().UnixMilli()
		time.Sleep(300 * time.Millisecond)
		return Data{"start": start, "end": time.Now().UnixMilli()}, nil
	})
	return out
}

// flow: flow control (concurrency, debounce, throttle), cancellation and a cron trigger.
func flow() []fn {
	return []fn{
		// One step at a time across all runs (step-level concurrency).
		on("serial", func(ctx context.Context, in Input) (any, error) {
			return window(ctx, "work"), nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.Concurrency = &inngestgo.ConfigConcurrency{Step: []inngestgo.ConfigStepConcurrency{{Limit: 1}}}
		}),
		// The last of a burst of events with the same key runs, once the key was quiet for 1 s.
		on("debounced", func(ctx context.Context, in Input) (any, error) {
			return Data{"n": in.Event.Data["n"]}, nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.Debounce = &inngestgo.ConfigDebounce{Key: "event.data.key", Period: time.Second}
		}),
		// At most one run starts per 2 s.
		on("throttled", func(ctx context.Context, in Input) (any, error) {
			return Data{"n": in.Event.Data["n"]}, nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.Throttle = &inngestgo.ConfigThrottle{Limit: 1, Period: 2 * time.Second}
		}),
		on("cancellable", func(ctx context.Context, in Input) (any, error) {
			step.Sleep(ctx, "long", time.Hour)
			return Data{"slept": true}, nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.Cancel = []inngestgo.ConfigCancel{{Event: "go/cancel", If: inngestgo.StrPtr("event.data.id == async.data.id")}}
		}),
		{
			opts:    inngestgo.FunctionOpts{ID: "hourly"},
			trigger: inngestgo.CronTrigger("0 * * * *"),
			run: func(ctx context.Context, in Input) (any, error) {
				at, _ := step.Run(ctx, "tick", func(ctx context.Context) (int64, error) { return in.Event.Timestamp, nil })
				return Data{"name": in.Event.Name, "cron": in.Event.Data["cron"], "ts": at}, nil
			},
		},
	}
}
