package demo

import (
	"errors"
	"os"
	"path/filepath"
)

// DefaultMap is the shipped map, relative to the repository root.
const DefaultMap = "testdata/luxembourg.geojson"

// FindDefaultMap looks for DefaultMap in the working directory and its
// parents, so `go run ./cmd/greenwave demo` works from anywhere in a
// checkout. The map is a megabyte of GeoJSON that the routing and
// simulator tests share; embedding a second copy in the binary would let
// the two drift apart.
func FindDefaultMap() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, DefaultMap)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find " + DefaultMap + " in this directory or any parent: run the demo from the greenwave repository, or pass --map FILE")
		}
		dir = parent
	}
}
