package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/inngest/inngest/pkg/enums"
	"github.com/inngest/inngestgo"
	inngesterrors "github.com/inngest/inngestgo/errors"
	"github.com/inngest/inngestgo/group"
	"github.com/inngest/inngestgo/step"
)

// Data is every function's event data: the tests send JSON objects.
type Data = map[string]any

type Input = inngestgo.Input[Data]

// fn is one function of app "go": its options (ID is prefixed "go-" by the SDK) and its trigger.
type fn struct {
	opts    inngestgo.FunctionOpts
	trigger inngestgo.Trigger
	run     func(ctx context.Context, in Input) (any, error)
}

// on is a function triggered by event go/{id}.
func on(id string, run func(ctx context.Context, in Input) (any, error)) fn {
	return fn{opts: inngestgo.FunctionOpts{ID: id}, trigger: inngestgo.EventTrigger("go/"+id, nil), run: run}
}

func (f fn) with(change func(o *inngestgo.FunctionOpts)) fn {
	change(&f.opts)
	return f
}

func register(client inngestgo.Client) error {
	for _, f := range functions() {
		if _, err := inngestgo.CreateFunction(client, f.opts, f.trigger, f.run); err != nil {
			return fmt.Errorf("%s: %w", f.opts.ID, err)
		}
	}
	return nil
}

func value(ctx context.Context, id string, v int) int {
	out, _ := step.Run(ctx, id, func(ctx context.Context) (int, error) { return v, nil })
	return out
}

func functions() []fn {
	return append(append(append(basics(), failures()...), flow()...), limits()...)
}

// basics: steps, sleep, waits, invoke, parallel, send, signals, fetch.
func basics() []fn {
	return []fn{
		// Two steps, a sleep, and step id "a" again (the SDK hashes the repeat as "a:1").
		on("seq", func(ctx context.Context, in Input) (any, error) {
			a := value(ctx, "a", 1)
			b := value(ctx, "b", 2)
			step.Sleep(ctx, "nap", time.Second)
			again := value(ctx, "a", 3)
			return Data{"sum": a + b + again}, nil
		}),
		on("sleep-until", func(ctx context.Context, in Input) (any, error) {
			until, err := time.Parse(time.RFC3339Nano, fmt.Sprint(in.Event.Data["until"]))
			if err != nil {
				return nil, inngestgo.NoRetryError(fmt.Errorf("data.until: %w", err))
			}
			step.SleepUntil(ctx, "wake", until)
			return Data{"woke": value(ctx, "after", 1) == 1}, nil
		}),
		on("fanout", func(ctx context.Context, in Input) (any, error) {
			results := group.Parallel(ctx,
				func(ctx context.Context) (any, error) { return value(ctx, "p1", 1), nil },
				func(ctx context.Context) (any, error) { return value(ctx, "p2", 2), nil },
				func(ctx context.Context) (any, error) { return value(ctx, "p3", 3), nil },
			)
			if err := results.AnyError(); err != nil {
				return nil, err
			}
			sum := 0
			for _, r := range results {
				sum += r.Value.(int)
			}
			return Data{"sum": sum, "count": len(results)}, nil
		}),
		// group.ParallelWithOpts in race mode: every op carries opts.parallelMode "race" (a discovery after each
		// step ends), but the group still returns only once every branch has ended.
		on("race", func(ctx context.Context, in Input) (any, error) {
			results := group.ParallelWithOpts(ctx, group.ParallelOpts{ParallelMode: enums.ParallelModeRace},
				func(ctx context.Context) (any, error) { return value(ctx, "fast", 1), nil },
				func(ctx context.Context) (any, error) {
					step.Sleep(ctx, "slow-nap", time.Second)
					return value(ctx, "slow", 2), nil
				},
			)
			values := []Data{}
			for _, r := range results {
				values = append(values, Data{"x": r.Value})
			}
			return Data{"values": values}, nil
		}),
		on("wait", func(ctx context.Context, in Input) (any, error) {
			got, err := step.WaitForEvent[inngestgo.GenericEvent[Data]](ctx, "w", step.WaitForEventOpts{
				Event: "go/approve", Timeout: time.Hour, If: inngestgo.StrPtr("event.data.id == async.data.id"),
			})
			if errors.Is(err, step.ErrEventNotReceived) {
				return Data{"got": nil}, nil
			}
			return Data{"got": Data{"id": got.ID, "name": got.Name, "data": got.Data}}, err
		}),
		on("wait-quick", func(ctx context.Context, in Input) (any, error) {
			_, err := step.WaitForEvent[inngestgo.GenericEvent[Data]](ctx, "w", step.WaitForEventOpts{
				Event: "go/never", Timeout: time.Second,
			})
			return Data{"timed_out": errors.Is(err, step.ErrEventNotReceived)}, nil
		}),
		on("child", func(ctx context.Context, in Input) (any, error) {
			v, _ := in.Event.Data["v"].(float64)
			return Data{"doubled": int(v) * 2}, nil
		}),
		on("invoke", func(ctx context.Context, in Input) (any, error) {
			res, err := step.Invoke[Data](ctx, "call-child", step.InvokeOpts{
				FunctionId: "go-child", Data: Data{"v": 21}, Timeout: time.Minute,
			})
			return Data{"result": res}, err
		}),
		on("failing-child", func(ctx context.Context, in Input) (any, error) {
			return nil, inngestgo.NoRetryError(errors.New("no stock for x1"))
		}),
		on("catching-parent", func(ctx context.Context, in Input) (any, error) {
			_, err := step.Invoke[Data](ctx, "call-failing", step.InvokeOpts{FunctionId: "go-failing-child", Timeout: time.Minute})
			if err == nil {
				return Data{"caught": false}, nil
			}
			return Data{"caught": true, "message": err.Error(), "no_retry": inngesterrors.IsNoRetryError(err)}, nil
		}),
		on("send", func(ctx context.Context, in Input) (any, error) {
			one, err := step.Send(ctx, "send-it", inngestgo.Event{Name: "go/sent", Data: Data{"n": 1}})
			if err != nil {
				return nil, err
			}
			two, err := step.SendMany(ctx, "send-two", []inngestgo.Event{
				{Name: "go/sent", Data: Data{"n": 2}}, {Name: "go/sent", Data: Data{"n": 3}},
			})
			return Data{"one": one, "two": two}, err
		}),
		on("signal-wait", func(ctx context.Context, in Input) (any, error) {
			got, err := step.WaitForSignal[Data](ctx, "approval", step.WaitForSignalOpts{
				Signal: fmt.Sprintf("go/approve-%v", in.Event.Data["id"]), Timeout: time.Hour,
			})
			if errors.Is(err, step.ErrSignalNotReceived) {
				return Data{"got": nil}, nil
			}
			if err != nil {
				return nil, err
			}
			return Data{"signal": got.Signal, "data": got.Data}, nil
		}),
		// step.Fetch: the devserver makes the request (a Gateway op) and hands the response back. Inngest
		// sends the body as a string, so the type parameter is string (Fetch[map...] cannot read it).
		on("fetch", func(ctx context.Context, in Input) (any, error) {
			url, _ := in.Event.Data["url"].(string)
			res, err := step.Fetch[string](ctx, "get-it", step.FetchOpts{
				URL: url, Method: "POST", Body: `{"q":1}`, Headers: map[string]string{"Content-Type": "application/json", "X-Trace": "go"},
			})
			if err != nil {
				return Data{"error": err.Error()}, nil
			}
			var body any
			if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
				body = res.Body
			}
			return Data{"status": res.StatusCode, "body": body}, nil
		}),
		// step.Infer: the devserver calls the model (an AIGateway op) with the key; here an OpenAI-style fake.
		on("infer", func(ctx context.Context, in Input) (any, error) {
			base, _ := in.Event.Data["base"].(string)
			key, _ := in.Event.Data["key"].(string)
			reply, err := step.Infer[Data, Data](ctx, "ask", step.InferOpts[Data]{
				Opts: step.InferOpenAIOpts(&key, &base),
				Body: Data{"model": "gpt-4o-mini", "messages": []Data{{"role": "user", "content": "hello from go"}}},
			})
			if err != nil {
				return Data{"error": err.Error()}, nil
			}
			return Data{"reply": reply}, nil
		}),
	}
}
