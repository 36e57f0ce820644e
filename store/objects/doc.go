// Package objects stores Kiln's artifacts (deployment sources, build
// outputs, user files) behind one small interface with two devices: a local
// folder (the default) and any S3-compatible store through minio-go.
//
// Keys are slash-separated paths such as "projects/p1/deployments/d1/source.tar.gz".
// Both devices pass the same contract suite in objects/objectstest.
package objects
