package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/kilnhq/kiln/builder"
	"github.com/kilnhq/kiln/builder/archive"
	"github.com/kilnhq/kiln/store/bus"
	"github.com/kilnhq/kiln/store/db"
	"github.com/kilnhq/kiln/store/objects"
	"github.com/nats-io/nats.go/jetstream"
)

// Build worker settings.
const (
	buildConsumer = "builder"
	// buildAckWait is how long a job may go without a heartbeat before
	// JetStream redelivers it to another builder.
	buildAckWait   = time.Minute
	buildHeartbeat = 20 * time.Second
	maxBuildTries  = 3
)

// BuildLogSubject is where a deployment's build log lines are published live.
func BuildLogSubject(projectID, deploymentID string) string {
	return fmt.Sprintf("logs.builds.%s.%s", projectID, deploymentID)
}

// StartBuildWorker consumes build jobs until StopBuildWorker. Any node can
// run one; JetStream hands each job to one worker at a time.
func (p *Platform) StartBuildWorker(ctx context.Context) error {
	if p.cfg.Builder == nil {
		return errors.New("platform: no builder configured")
	}
	cons, err := p.cfg.JetStream.CreateOrUpdateConsumer(ctx, bus.BuildsStream, jetstream.ConsumerConfig{
		Durable:       buildConsumer,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       buildAckWait,
		MaxDeliver:    maxBuildTries,
		MaxAckPending: 4,
	})
	if err != nil {
		return fmt.Errorf("creating build consumer: %w", err)
	}
	var wg sync.WaitGroup
	workCtx, cancel := context.WithCancel(context.Background())
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		wg.Add(1)
		defer wg.Done()
		p.handleBuild(workCtx, msg)
	})
	if err != nil {
		cancel()
		return fmt.Errorf("consuming build jobs: %w", err)
	}
	p.workerMu.Lock()
	p.workerStop = func() {
		cc.Drain()
		<-cc.Closed()
		cancel()
		wg.Wait()
	}
	p.workerMu.Unlock()
	return nil
}

// StopBuildWorker stops taking jobs and waits for the running one. A build
// cut short is redelivered to a builder after the ack wait.
func (p *Platform) StopBuildWorker() {
	p.workerMu.Lock()
	stop := p.workerStop
	p.workerStop = nil
	p.workerMu.Unlock()
	if stop != nil {
		stop()
	}
}

func (p *Platform) handleBuild(ctx context.Context, msg jetstream.Msg) {
	var job BuildJob
	if err := json.Unmarshal(msg.Data(), &job); err != nil || job.DeploymentID == "" {
		p.logger.Error("dropping malformed build job", "data", string(msg.Data()))
		_ = msg.Term()
		return
	}
	meta, _ := msg.Metadata()
	// A job redelivered after its builder died mid-build finds the
	// deployment "building". JetStream redelivers only after the ack wait
	// passed without a heartbeat, so that builder is gone: take it over.
	from := []string{db.DeploymentWaiting, db.DeploymentProcessing}
	if meta != nil && meta.NumDelivered > 1 {
		from = append(from, db.DeploymentBuilding)
	}
	d, ok, err := p.db.ClaimDeployment(ctx, job.ProjectID, job.DeploymentID, db.DeploymentBuilding, from...)
	if err != nil {
		p.logger.Error("claiming build", "deployment", job.DeploymentID, "err", err)
		_ = msg.NakWithDelay(5 * time.Second)
		return
	}
	if !ok {
		// Finished, canceled or deleted: nothing to do, even if redelivered.
		_ = msg.Ack()
		return
	}
	stopBeat := heartbeat(msg)
	defer stopBeat()
	p.build(ctx, d)
	_ = msg.Ack()
}

func heartbeat(msg jetstream.Msg) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(buildHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	return func() { close(done) }
}

func (p *Platform) build(ctx context.Context, d db.Deployment) {
	start := time.Now()
	subject := BuildLogSubject(d.ProjectID, d.ID)
	log := p.newBuildLog(d.ProjectID, d.ID)
	defer log.stop()
	fail := func(format string, args ...any) {
		fmt.Fprintf(log, "\nBuild failed: "+format+"\n", args...)
		log.stop()
		d.Status, d.BuildLogs, d.BuildDuration = db.DeploymentFailed, log.String(), time.Since(start).Seconds()
		if _, err := p.db.FinishBuild(context.Background(), d); err != nil && !errors.Is(err, db.ErrNotFound) {
			p.logger.Error("recording failed build", "deployment", d.ID, "err", err)
		}
		p.publishBuildDone(subject, db.DeploymentFailed)
	}
	f, err := p.db.GetFunction(ctx, d.ProjectID, d.FunctionID)
	if err != nil {
		fail("reading function: %v", err)
		return
	}
	rt, err := ResolveRuntime(f.Runtime)
	if err != nil {
		fail("%v", err)
		return
	}
	fmt.Fprintf(log, "Building deployment %s of function %s (runtime %s)\n", d.ID, f.ID, f.Runtime)

	dir, err := os.MkdirTemp("", "kiln-build-")
	if err != nil {
		fail("creating build dir: %v", err)
		return
	}
	defer os.RemoveAll(dir)
	src, _, err := p.cfg.Objects.Get(ctx, d.SourceKey, objects.GetOptions{})
	if err != nil {
		fail("reading source: %v", err)
		return
	}
	stats, err := archive.Extract(ctx, src, dir, archive.Limits{})
	src.Close()
	if err != nil {
		fail("unpacking source: %v", err)
		return
	}
	fmt.Fprintf(log, "Unpacked %d files (%d bytes)\n", stats.Files, stats.Bytes)
	entry := d.Entrypoint
	if entry == "" {
		entry = f.Entrypoint
	}
	commands := d.Commands
	if commands == "" {
		commands = f.Commands
	}
	art, err := p.cfg.Builder.Build(ctx, builder.Spec{Runtime: rt.Kind, SourceDir: dir, Entrypoint: entry, Commands: commands}, log)
	if err != nil {
		fail("%v", err)
		return
	}
	key := buildKey(d.ProjectID, d.FunctionID, d.ID)
	ctype := "application/wasm"
	if art.ABI == builder.ABIJS {
		ctype = "text/javascript"
	}
	if _, err := p.cfg.Objects.Put(ctx, key, bytes.NewReader(art.Wasm), int64(len(art.Wasm)), ctype); err != nil {
		fail("storing artifact: %v", err)
		return
	}
	fmt.Fprintf(log, "Build ready in %s: %d bytes, %s contract\n", time.Since(start).Round(time.Millisecond), len(art.Wasm), art.ABI)
	d.Status, d.BuildKey, d.BuildSize = db.DeploymentReady, key, int64(len(art.Wasm))
	log.stop()
	d.BuildLogs, d.BuildDuration, d.ABI, d.ArtifactSHA256 = log.String(), time.Since(start).Seconds(), art.ABI, art.SHA256
	if _, err := p.db.FinishBuild(context.Background(), d); err != nil {
		// Canceled while building: the result is discarded.
		_ = p.cfg.Objects.Delete(context.Background(), key)
		p.logger.Info("build result discarded", "deployment", d.ID, "reason", err)
		return
	}
	if d.Activate {
		p.functionChanged(d.ProjectID, d.FunctionID)
		// Compiled before the build is announced done, so the first
		// request after `kiln deploy` finds the deployment ready to run.
		wctx, cancel := context.WithTimeout(ctx, warmTimeout)
		if err := p.warm(wctx, d.ProjectID, d.FunctionID); err != nil {
			p.logger.Warn("preparing a new deployment", "deployment", d.ID, "err", err)
		}
		cancel()
	}
	p.publishBuildDone(subject, db.DeploymentReady)
}
