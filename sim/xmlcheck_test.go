package sim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
)

// newXMLChecker returns a function that reads the whole document and
// reports the first syntax error.
func newXMLChecker(b []byte) func() error {
	return func() error {
		d := xml.NewDecoder(bytes.NewReader(b))
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
}
