package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Streams and their subjects.
const (
	// BuildsStream is a work queue of deployment builds; any node's builder takes a job.
	BuildsStream   = "KILN_BUILDS"
	BuildsSubjects = "builds.>"
	// EventsStream carries platform and custom events as <project>.<event name>.
	EventsStream   = "KILN_EVENTS"
	EventsSubjects = "events.>"
	// ExecutionsStream carries execution records and usage, written to Postgres by a consumer.
	ExecutionsStream   = "KILN_EXECUTIONS"
	ExecutionsSubjects = "executions.>"
)

func streamConfigs(replicas int) []jetstream.StreamConfig {
	return []jetstream.StreamConfig{
		{Name: BuildsStream, Subjects: []string{BuildsSubjects}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Replicas: replicas, Description: "deployment build jobs"},
		{Name: EventsStream, Subjects: []string{EventsSubjects}, Retention: jetstream.LimitsPolicy,
			Storage: jetstream.FileStorage, Replicas: replicas, MaxAge: 7 * 24 * 3600e9, Description: "events"},
		{Name: ExecutionsStream, Subjects: []string{ExecutionsSubjects}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Replicas: replicas, Description: "execution records and usage"},
	}
}

// ensureStreams creates each stream, or updates it to the wanted config.
func ensureStreams(ctx context.Context, js jetstream.JetStream, replicas int) error {
	for _, cfg := range streamConfigs(replicas) {
		_, err := js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			_, err = js.UpdateStream(ctx, cfg)
		}
		if err != nil {
			return fmt.Errorf("creating stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}
