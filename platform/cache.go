package platform

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/store/db"
	"github.com/nats-io/nats.go"
	"golang.org/x/sync/singleflight"
)

// Invocation cache. An HTTP trigger needs the project, the function, its
// active deployment and its variables; reading them from Postgres on every
// request costs several round trips, so each node keeps them in memory.
// Every change to a function, its variables or its active deployment drops
// the entry on this node at once and on every other node through a NATS
// notice; the TTL only bounds staleness if a notice is ever missed (a
// reconnect, a node on another NATS cluster).
const (
	// changesSubject carries "project/function" of a function whose
	// settings, variables or active deployment changed.
	changesSubject = "kiln.changes.functions"
	// cacheTTL bounds how long an entry is trusted without a notice.
	cacheTTL = 30 * time.Second
	// projectTTL bounds how long a project is known to exist.
	projectTTL = 30 * time.Second
)

// invokeEntry is what one function's invocations need, read-only once
// stored: callers must not modify fn, dep or env.
type invokeEntry struct {
	fn  db.Function
	dep db.Deployment // zero when the function has no active deployment
	// env is the function's variables plus Appwrite's APPWRITE_FUNCTION_*.
	env     map[string]string
	envSum  string // envSum(env), so calls need not hash it again
	expires time.Time
}

type invokeCache struct {
	mu       sync.Mutex
	gen      uint64 // bumped by every invalidation; a load that saw another value is not stored
	fns      map[string]*invokeEntry
	projects map[string]time.Time // project id → when "it exists" expires
	group    singleflight.Group
	sub      *nats.Subscription
}

func cacheKey(projectID, functionID string) string { return projectID + "/" + functionID }

// listenForChanges subscribes to other nodes' change notices. The
// subscription lives as long as the NATS connection.
func (p *Platform) listenForChanges() error {
	if p.cfg.NATS == nil {
		return nil
	}
	sub, err := p.cfg.NATS.Subscribe(changesSubject, func(m *nats.Msg) {
		project, fn, ok := strings.Cut(string(m.Data), "/")
		if !ok {
			return
		}
		// A node serving the function prepares the new version before its
		// next request; others leave it until they are asked.
		if p.dropCached(project, fn) && fn != "" {
			p.warmLater(project, fn)
		}
	})
	if err != nil {
		return err
	}
	p.cache.sub = sub
	return nil
}

// dropCached forgets one function (fn "" forgets the whole project) and
// reports whether the function was cached.
func (p *Platform) dropCached(projectID, functionID string) (was bool) {
	c := &p.cache
	c.mu.Lock()
	c.gen++
	if functionID == "" {
		prefix := projectID + "/"
		for k := range c.fns {
			if strings.HasPrefix(k, prefix) {
				delete(c.fns, k)
			}
		}
		delete(c.projects, projectID)
	} else {
		_, was = c.fns[cacheKey(projectID, functionID)]
		delete(c.fns, cacheKey(projectID, functionID))
	}
	c.mu.Unlock()
	return was
}

// functionChanged is called after a committed change to what invocations of
// a function read: its settings, variables or active deployment. It drops
// the cached entry here and tells the other nodes.
func (p *Platform) functionChanged(projectID, functionID string) {
	p.dropCached(projectID, functionID)
	if p.cfg.NATS == nil {
		return
	}
	if err := p.cfg.NATS.Publish(changesSubject, []byte(cacheKey(projectID, functionID))); err != nil {
		// The TTL bounds how long other nodes serve the old settings.
		p.logger.Warn("announcing a function change", "project", projectID, "function", functionID, "err", err)
	}
}

// projectExists reports whether a project exists, from the cache when it
// was seen recently.
func (p *Platform) projectExists(ctx context.Context, projectID string) error {
	c := &p.cache
	now := time.Now()
	c.mu.Lock()
	exp, ok := c.projects[projectID]
	c.mu.Unlock()
	if ok && now.Before(exp) {
		return nil
	}
	if _, err := p.db.GetProject(ctx, projectID); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return ErrProjectNotFound
		}
		return err
	}
	c.mu.Lock()
	if c.projects == nil {
		c.projects = map[string]time.Time{}
	}
	c.projects[projectID] = now.Add(projectTTL)
	c.mu.Unlock()
	return nil
}

// invocable returns what invoking a function needs, from the cache or
// loaded once however many requests ask at the same time.
func (p *Platform) invocable(ctx context.Context, projectID, functionID string) (*invokeEntry, error) {
	c := &p.cache
	key := cacheKey(projectID, functionID)
	c.mu.Lock()
	e, ok := c.fns[key]
	gen := c.gen
	c.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e, nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		e, err := p.loadInvocable(context.WithoutCancel(ctx), projectID, functionID)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.gen == gen {
			if c.fns == nil {
				c.fns = map[string]*invokeEntry{}
			}
			c.fns[key] = e
		}
		c.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*invokeEntry), nil
}

func (p *Platform) loadInvocable(ctx context.Context, projectID, functionID string) (*invokeEntry, error) {
	f, err := p.GetFunction(ctx, projectID, functionID)
	if err != nil {
		return nil, err
	}
	e := &invokeEntry{fn: f, expires: time.Now().Add(cacheTTL)}
	if f.DeploymentID == "" {
		return e, nil
	}
	if e.dep, err = p.db.GetDeployment(ctx, projectID, f.ID, f.DeploymentID); err != nil {
		return nil, fmt.Errorf("reading active deployment: %w", err)
	}
	if e.env, err = p.FunctionEnv(ctx, projectID, f.ID); err != nil {
		return nil, err
	}
	e.env["APPWRITE_FUNCTION_ID"] = f.ID
	e.env["APPWRITE_FUNCTION_NAME"] = f.Name
	e.env["APPWRITE_FUNCTION_DEPLOYMENT"] = e.dep.ID
	e.env["APPWRITE_FUNCTION_PROJECT_ID"] = projectID
	e.env["APPWRITE_FUNCTION_RUNTIME_NAME"] = f.Runtime
	e.env["APPWRITE_FUNCTION_RUNTIME_VERSION"] = f.Runtime
	e.envSum = envSum(e.env)
	return e, nil
}
