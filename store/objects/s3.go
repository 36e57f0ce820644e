package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config locates a bucket on an S3-compatible store (MinIO, AWS S3, R2 …).
type S3Config struct {
	// Endpoint is host[:port] without scheme, e.g. "s3.amazonaws.com". Required.
	Endpoint string
	// Bucket is created if missing. Required.
	Bucket    string
	AccessKey string
	SecretKey string
	// Region; default "us-east-1".
	Region string
	// UseSSL selects https.
	UseSSL bool
	// PathStyle forces path-style addressing (needed by MinIO and most self-hosted stores).
	PathStyle bool
	// Prefix is prepended to every key, so several Kiln installs can share a bucket.
	Prefix string
}

// S3 stores objects in a bucket.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
}

// NewS3 connects to the store and creates the bucket if it does not exist.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("s3: endpoint and bucket are required")
	}
	if strings.Contains(cfg.Endpoint, "://") {
		return nil, fmt.Errorf("s3: endpoint %q must be host[:port] without a scheme (use the SSL setting)", cfg.Endpoint)
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.UseSSL,
		Region:       region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: configuring client: %w", err)
	}
	s := &S3{c: c, bucket: cfg.Bucket, prefix: strings.Trim(cfg.Prefix, "/")}
	if s.prefix != "" {
		s.prefix += "/"
	}
	exists, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: checking bucket %s at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !exists {
		if err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: region}); err != nil {
			var er minio.ErrorResponse
			if !errors.As(err, &er) || er.Code != "BucketAlreadyOwnedByYou" {
				return nil, fmt.Errorf("s3: creating bucket %s: %w", cfg.Bucket, err)
			}
		}
	}
	return s, nil
}

// Name implements Store.
func (s *S3) Name() string { return "s3" }

// Ping implements Store.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	if !ok {
		return fmt.Errorf("s3: bucket %s is gone", s.bucket)
	}
	return nil
}

func (s *S3) info(key string, oi minio.ObjectInfo) Info {
	return Info{Key: key, Size: oi.Size, ContentType: oi.ContentType, ETag: strings.Trim(oi.ETag, `"`), Modified: oi.LastModified.UTC()}
}

// Put implements Store. The returned Info describes this write even if
// another Put to the key lands right after it.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	sr := newSizedReader(ctx, r, size)
	up, err := s.c.PutObject(ctx, s.bucket, s.prefix+key, sr, size, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		// minio-go may wrap or replace the reader's error; report the cause.
		if sr.err != nil && sr.err != io.EOF {
			err = sr.err
		}
		return Info{}, fmt.Errorf("putting %s: %w", key, err)
	}
	info := Info{Key: key, Size: up.Size, ContentType: contentType, ETag: strings.Trim(up.ETag, `"`), Modified: up.LastModified.UTC()}
	if up.LastModified.IsZero() {
		// A single-part upload's response carries no date: take the store's
		// if the object is still ours, else the time of the write.
		info.Modified = time.Now().UTC()
		if st, err := s.Stat(ctx, key); err == nil && st.ETag == info.ETag {
			info.Modified = st.Modified
		}
	}
	return info, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	oi, err := s.c.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.mapErr("stat", key, err)
	}
	return s.info(key, oi), nil
}

// Get implements Store. The reader serves the version Stat described: the
// read is conditional on its ETag and retried if the key was overwritten
// in between.
func (s *S3) Get(ctx context.Context, key string, opt GetOptions) (io.ReadCloser, Info, error) {
	var lastErr error
	for range 3 {
		info, err := s.Stat(ctx, key)
		if err != nil {
			return nil, Info{}, err
		}
		n, err := checkRange(opt, info.Size)
		if err != nil {
			return nil, Info{}, err
		}
		if n == 0 {
			return io.NopCloser(strings.NewReader("")), info, nil
		}
		var o minio.GetObjectOptions
		if err := o.SetMatchETag(info.ETag); err != nil {
			return nil, Info{}, fmt.Errorf("getting %s: %w", key, err)
		}
		if opt.Offset > 0 || n < info.Size {
			if err := o.SetRange(opt.Offset, opt.Offset+n-1); err != nil {
				return nil, Info{}, fmt.Errorf("%w: %v", ErrInvalidRange, err)
			}
		}
		obj, err := s.c.GetObject(ctx, s.bucket, s.prefix+key, o)
		if err != nil {
			return nil, Info{}, s.mapErr("get", key, err)
		}
		// GetObject is lazy; Stat sends the request so its errors surface here.
		if _, err := obj.Stat(); err != nil {
			obj.Close()
			if minio.ToErrorResponse(err).Code == "PreconditionFailed" {
				lastErr = err
				continue
			}
			return nil, Info{}, s.mapErr("get", key, err)
		}
		return obj, info, nil
	}
	return nil, Info{}, fmt.Errorf("getting %s: overwritten while reading, 3 times: %w", key, lastErr)
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	var out []Info
	// WithMetadata is a MinIO extension that returns content types with the
	// listing; other stores ignore it and each object is asked for its own.
	opts := minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true, WithMetadata: true}
	for oi := range s.c.ListObjects(ctx, s.bucket, opts) {
		if oi.Err != nil {
			return nil, fmt.Errorf("listing %q: %w", prefix, oi.Err)
		}
		key := strings.TrimPrefix(oi.Key, s.prefix)
		info := s.info(key, oi)
		for k, v := range oi.UserMetadata {
			if info.ContentType == "" && strings.EqualFold(k, "content-type") {
				info.ContentType = v
			}
		}
		if info.ContentType == "" {
			if st, err := s.Stat(ctx, key); err == nil {
				info.ContentType = st.ContentType
			}
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		if mapped := s.mapErr("delete", key, err); errors.Is(mapped, ErrNotFound) {
			return nil
		}
		return fmt.Errorf("deleting %s: %w", key, err)
	}
	return nil
}

func (s *S3) mapErr(op, key string, err error) error {
	er := minio.ToErrorResponse(err)
	if er.Code == "NoSuchKey" || er.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if er.Code == "InvalidRange" {
		return fmt.Errorf("%w: %s", ErrInvalidRange, key)
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}

var _ Store = (*S3)(nil)
