package archive

// Limits bound what Extract accepts. The zero value of each field selects
// the documented default; a negative value is treated as the default too.
type Limits struct {
	// MaxFiles caps the number of entries (files, directories and links).
	// Default 10,000.
	MaxFiles int
	// MaxTotalBytes caps the sum of all file contents after decompression.
	// Default 256 MiB.
	MaxTotalBytes int64
	// MaxFileBytes caps one file's content. Default 100 MiB.
	MaxFileBytes int64
	// MaxRatio, when positive, caps decompressed bytes per compressed byte
	// read (with 1 MiB of slack so tiny archives pass). Default 0: no ratio
	// check; MaxTotalBytes already bounds a decompression bomb.
	MaxRatio int
}

const (
	defaultMaxFiles      = 10_000
	defaultMaxTotalBytes = 256 << 20
	defaultMaxFileBytes  = 100 << 20
	ratioSlack           = 1 << 20
	// entryOverhead is what one tar entry may add to the decompressed stream
	// beyond its content: header, padding and PAX records for long names.
	entryOverhead = 4096
)

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = defaultMaxFiles
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = defaultMaxTotalBytes
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = defaultMaxFileBytes
	}
	if l.MaxRatio < 0 {
		l.MaxRatio = 0
	}
	return l
}

// streamCap bounds the decompressed tar stream as a whole, so metadata and
// trailing bytes after the end-of-archive marker cannot be used as a bomb.
func (l Limits) streamCap() int64 {
	return l.MaxTotalBytes + int64(l.MaxFiles)*entryOverhead + ratioSlack
}

// Stats describes what Extract wrote.
type Stats struct {
	Files      int   // regular files, including hard links
	Dirs       int   // directories, including implied parents
	Symlinks   int   // symbolic links
	Bytes      int64 // file content written
	Compressed int64 // bytes read from the input
}
