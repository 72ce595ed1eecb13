package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/inngest/inngestgo"
	"github.com/inngest/inngestgo/connect"
	"github.com/inngest/inngestgo/step"
)

// serveConnect serves app "goconn" over inngestgo's Connect worker: no HTTP endpoint, it dials the gateway
// the devserver names in POST {INNGEST_DEV}/v0/connect/start, and prints
// "go-connect ready <instance id> inngestgo:v<version>" once its connection is active.
func serveConnect(instanceID string) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	client, err := inngestgo.NewClient(inngestgo.ClientOpts{
		AppID:  "goconn",
		Logger: slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fail("cannot create the client", err)
	}
	for _, f := range connectFunctions() {
		if _, err := inngestgo.CreateFunction(client, f.opts, f.trigger, f.run); err != nil {
			fail("cannot create "+f.opts.ID, err)
		}
	}
	conn, err := inngestgo.Connect(ctx, inngestgo.ConnectOpts{Apps: []inngestgo.Client{client}, InstanceID: &instanceID})
	if err != nil {
		fail("cannot connect", err)
	}
	for conn.State() != connect.ConnectionStateActive {
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	fmt.Printf("go-connect ready %s inngestgo:v%s\n", instanceID, inngestgo.SDKVersion)
	<-ctx.Done()
	_ = conn.Close()
}

// connectFunctions (trigger goconn/{name}): steps and a sleep, an invoke within the app, a flaky step.
func connectFunctions() []fn {
	onConn := func(id string, run func(ctx context.Context, in Input) (any, error)) fn {
		f := on(id, run)
		f.trigger = inngestgo.EventTrigger("goconn/"+id, nil)
		return f
	}
	return []fn{
		onConn("steps", func(ctx context.Context, in Input) (any, error) {
			a := value(ctx, "a", 1)
			step.Sleep(ctx, "nap", time.Second)
			b := value(ctx, "b", 2)
			return Data{"sum": a + b}, nil
		}),
		onConn("child", func(ctx context.Context, in Input) (any, error) {
			v, _ := in.Event.Data["v"].(float64)
			return Data{"doubled": int(v) * 2}, nil
		}),
		onConn("invoke", func(ctx context.Context, in Input) (any, error) {
			res, err := step.Invoke[Data](ctx, "call-child", step.InvokeOpts{FunctionId: "goconn-child", Data: Data{"v": 4}, Timeout: time.Minute})
			return Data{"result": res}, err
		}),
		onConn("flaky", func(ctx context.Context, in Input) (any, error) {
			out, err := step.Run(ctx, "shaky", func(ctx context.Context) (int, error) {
				if in.InputCtx.Attempt < 1 {
					return 0, fmt.Errorf("not yet")
				}
				return in.InputCtx.Attempt, nil
			})
			return Data{"attempt": out}, err
		}),
	}
}

func fail(what string, err error) {
	fmt.Fprintln(os.Stderr, "go-peer:", what+":", err)
	os.Exit(1)
}
