package builder

import (
	"context"
	"os"
	"testing"
)

// BenchmarkBuildGoHello measures a whole Go build of helloGo (compile,
// instrument, validate): "cold" with an empty build cache, as on a fresh
// node, and "warm" with the cache of earlier builds.
func BenchmarkBuildGoHello(b *testing.B) {
	src := writeSource(b, helloGo)
	b.Run("cold", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			cache, err := os.MkdirTemp("", "kiln-bench-cache-")
			if err != nil {
				b.Fatal(err)
			}
			bld := newBuilder(b, Config{CacheDir: cache})
			b.StartTimer()
			if _, err := bld.Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, nil); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			os.RemoveAll(cache)
			b.StartTimer()
		}
	})
	b.Run("warm", func(b *testing.B) {
		bld := newBuilder(b, Config{CacheDir: b.TempDir()})
		if _, err := bld.Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, nil); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if _, err := bld.Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
