package main

import (
	"context"
	"time"

	"github.com/inngest/inngest/pkg/enums"
	"github.com/inngest/inngestgo"
	"github.com/inngest/inngestgo/step"
)

// held is a step that takes the event's data.ms milliseconds and says when it ran, so that a test can see
// whether runs overlapped.
func held(ctx context.Context, in Input) Data {
	ms, _ := in.Event.Data["ms"].(float64)
	out, _ := step.Run(ctx, "hold", func(ctx context.Context) (Data, error) {
		start := time.Now().UnixMilli()
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return Data{"start": start, "end": time.Now().UnixMilli(), "n": in.Event.Data["n"]}, nil
	})
	return out
}

// limits: the options that decide whether and when a run starts — batching, rate limit, priority,
// idempotency, concurrency keys, singleton and timeouts.
func limits() []fn {
	return []fn{
		// Up to three events of the same data.user in one run, or fewer once the first has waited 2 s.
		on("batched", func(ctx context.Context, in Input) (any, error) {
			ns, _ := step.Run(ctx, "collect", func(ctx context.Context) ([]any, error) {
				out := []any{}
				for _, e := range in.Events {
					out = append(out, e.Data["n"])
				}
				return out, nil
			})
			return Data{"size": len(in.Events), "ns": ns, "first": in.Event.Data["n"], "user": in.Event.Data["user"]}, nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.BatchEvents = &inngestgo.ConfigBatchEvents{MaxSize: 3, Timeout: 2 * time.Second, Key: inngestgo.StrPtr("event.data.user")}
		}),
		// One run per data.user per minute; the events over it start nothing.
		on("rate-limited", func(ctx context.Context, in Input) (any, error) {
			return Data{"n": value(ctx, "count", int(in.Event.Data["n"].(float64)))}, nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.RateLimit = &inngestgo.ConfigRateLimit{Limit: 1, Period: time.Minute, Key: inngestgo.StrPtr("event.data.user")}
		}),
		// priority.run is a number of seconds: a VIP run is queued as if 10 minutes earlier, another 5 minutes later.
		on("prioritized", func(ctx context.Context, in Input) (any, error) {
			return Data{"n": value(ctx, "count", int(in.Event.Data["n"].(float64)))}, nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.Priority = &inngestgo.ConfigPriority{Run: inngestgo.StrPtr("event.data.vip ? 600 : -300")}
		}),
		// A second event with the same data.order within 24 h starts no run.
		on("idempotent", func(ctx context.Context, in Input) (any, error) {
			return Data{"n": value(ctx, "count", int(in.Event.Data["n"].(float64)))}, nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.Idempotency = inngestgo.StrPtr("event.data.order")
		}),
		// One step at a time per data.user (a concurrency key); different users run side by side.
		on("per-user", func(ctx context.Context, in Input) (any, error) {
			return held(ctx, in), nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.Concurrency = &inngestgo.ConfigConcurrency{Step: []inngestgo.ConfigStepConcurrency{
				{Limit: 1, Key: inngestgo.StrPtr("event.data.user")},
			}}
		}),
		// While a run for data.user is active, another event for that user starts nothing.
		on("singleton", func(ctx context.Context, in Input) (any, error) {
			return held(ctx, in), nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.Singleton = &inngestgo.ConfigSingleton{Key: inngestgo.StrPtr("event.data.user"), Mode: enums.SingletonModeSkip}
		}),
		// A new event cancels the active run (here: asleep for an hour) and starts its own.
		on("replacing", func(ctx context.Context, in Input) (any, error) {
			if in.Event.Data["sleep"] == true {
				step.Sleep(ctx, "long", time.Hour)
			}
			return Data{"n": in.Event.Data["n"]}, nil
		}).with(func(o *inngestgo.FunctionOpts) {
			o.Singleton = &inngestgo.ConfigSingleton{Mode: enums.SingletonModeCancel}
		}),
		// A run still going 1 s after it started is cancelled (here: stuck in an hour's sleep).
		on("timeboxed", func(ctx context.Context, in Input) (any, error) {
			step.Sleep(ctx, "long", time.Hour)
			return Data{"slept": true}, nil
		}).with(func(o *inngestgo.FunctionOpts) {
			finish := time.Second
			o.Timeouts = &inngestgo.ConfigTimeouts{Finish: &finish}
		}),
	}
}
