package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Streams and their subjects.
const (
	// BuildsStream is a work queue of deployment builds; any node's builder
	// takes a job, and an acknowledged job is gone.
	BuildsStream   = "KILN_BUILDS"
	BuildsSubjects = "builds.>"
	// EventsStream carries platform and custom events; messages are kept
	// for EventsMaxAge whoever has read them, so several consumers (functions,
	// webhooks, realtime) each see every event.
	EventsStream   = "KILN_EVENTS"
	EventsSubjects = "events.>"
	// ExecutionsStream is a work queue of execution records and usage,
	// written to Postgres by a consumer; a record is gone once acknowledged.
	ExecutionsStream   = "KILN_EXECUTIONS"
	ExecutionsSubjects = "executions.>"
)

// EventsMaxAge is how long the events stream keeps a message.
const EventsMaxAge = 7 * 24 * time.Hour

func streamConfigs(replicas int) []jetstream.StreamConfig {
	return []jetstream.StreamConfig{
		{Name: BuildsStream, Subjects: []string{BuildsSubjects}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Replicas: replicas, Description: "deployment build jobs"},
		{Name: EventsStream, Subjects: []string{EventsSubjects}, Retention: jetstream.LimitsPolicy,
			Storage: jetstream.FileStorage, Replicas: replicas, MaxAge: EventsMaxAge, Description: "events"},
		{Name: ExecutionsStream, Subjects: []string{ExecutionsSubjects}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Replicas: replicas, Description: "execution records and usage"},
	}
}

// ensureStreams creates each stream, or brings an existing one to the wanted
// config without lowering its replica count (nodes of one cluster may start
// with different route lists). A config JetStream cannot change in place,
// such as retention, is an error naming the stream.
//
// In a cluster only the JetStream meta leader answers stream requests, and
// one sent before a leader is elected gets no answer at all, so each attempt
// is bounded and retried until ctx ends.
func ensureStreams(ctx context.Context, js jetstream.JetStream, replicas int) error {
	for _, cfg := range streamConfigs(replicas) {
		for {
			err := ensureStream(ctx, js, cfg)
			if err == nil {
				break
			}
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
				ctx.Err() != nil {
				return fmt.Errorf("creating stream %s: %w", cfg.Name, err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("creating stream %s: %w", cfg.Name, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// streamAttempt bounds one stream request.
const streamAttempt = 2 * time.Second

func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) error {
	ctx, cancel := context.WithTimeout(ctx, streamAttempt)
	defer cancel()
	_, err := js.CreateStream(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		var s jetstream.Stream
		if s, err = js.Stream(ctx, cfg.Name); err == nil {
			cfg.Replicas = max(cfg.Replicas, s.CachedInfo().Config.Replicas)
			_, err = js.UpdateStream(ctx, cfg)
		}
	}
	return err
}
